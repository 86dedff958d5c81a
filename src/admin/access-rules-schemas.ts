// Wire shapes of access rules (keys/access-rules.ts): the resources a key may touch, and the
// networks a key, or every key of a tenant, may be used from. An entry that would not parse is
// refused here, so nothing stored ever needs a second opinion; each error names the entry by its
// path (`allowedIps.2`, `resources.agent.0`) and quotes it, cut short and never when key-shaped.
import { z } from "@hono/zod-openapi";
import { containsKeyLike } from "../core/redact.ts";
import {
  isCanonicalAddress,
  MAX_CIDRS,
  MAX_RESOURCE_IDS,
  MAX_RESOURCE_TYPES,
  parseCidr,
  RESOURCE_PATTERN,
  RESOURCE_TYPE,
  type KeyRules,
  type NetworkRules,
} from "../keys/access-rules.ts";

const QUOTED_MAX = 40;

/** Client input as a message shows it: one line, short, and never a secret. */
function shown(value: unknown): string {
  if (typeof value === "string") {
    if (containsKeyLike(value)) return "an API key";
    return JSON.stringify(value.length > QUOTED_MAX ? `${value.slice(0, QUOTED_MAX)}…` : value);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  // Described rather than serialised: no JSON.stringify of arbitrary depth in an error path.
  return String(value).slice(0, QUOTED_MAX);
}

const CIDR_FORMS = "an address (10.1.2.3, 2001:db8::1) or a range (10.0.0.0/8, 2001:db8::/32)";

/** Why parseCidr refused `entry`, as specifically as can be told cheaply. */
function cidrReason(entry: string): string {
  const q = shown(entry);
  if (entry === "") return `an empty entry; give ${CIDR_FORMS}`;
  if (entry.length > 64) return `${q} is longer than 64 characters`;
  if (entry.includes("%")) return `${q} has a zone (%…); give the address alone`;
  const [addr = "", bits, extra] = entry.split("/");
  if (extra !== undefined) return `${q} has more than one '/'`;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return `${q}: the prefix after '/' must be a number of bits`;
  if (!isCanonicalAddress(addr)) {
    return `${q} is neither an IPv4 address (four decimal parts, no leading zeros) nor an IPv6 address; give ${CIDR_FORMS}`;
  }
  const max = addr.includes(":") ? 128 : 32;
  if (bits !== undefined && Number(bits) > max) return `${q}: an ${max === 32 ? "IPv4" : "IPv6"} prefix is at most /${max}`;
  return `${q} is not ${CIDR_FORMS}`;
}

const notString = (what: string) => (iss: { input?: unknown }) => `${shown(iss.input)} is not a string; give ${what}`;

const cidrEntry = z
  .string({ error: notString(CIDR_FORMS) })
  .superRefine((entry, ctx) => {
    if (parseCidr(entry) === null) ctx.addIssue({ code: "custom", message: cidrReason(entry) });
  })
  .openapi({ example: "10.0.0.0/8", maxLength: 64 });

const CIDR_DOC = `IPv4 and IPv6 addresses (each a /32 or /128) and CIDR ranges, at most ${MAX_CIDRS}; IPv4-mapped IPv6 (::ffff:10.0.0.0/104) is its IPv4 range. Addresses in canonical form: no leading zeros, no zone.`;

/** A CIDR list field, `what` saying what the list does where it is used. */
export const cidrList = (what: string) =>
  z
    .array(cidrEntry)
    .max(MAX_CIDRS, `at most ${MAX_CIDRS} entries`)
    .openapi({ description: `${what} ${CIDR_DOC}`, example: ["10.0.0.0/8", "2001:db8::/32"] });

const ID_FORM = "letters, digits and . _ : ~ @ -, at most 128, with an optional trailing * (a prefix; a lone * is every id)";

const resourceId = z
  .string({ error: notString(`an id or a prefix ending in *`) })
  .superRefine((id, ctx) => {
    if (id === "") ctx.addIssue({ code: "custom", message: 'an empty id matches nothing; give "*" for every id, or an empty list for none' });
    else if (!RESOURCE_PATTERN.test(id)) ctx.addIssue({ code: "custom", message: `${shown(id)} is not an id or prefix: ${ID_FORM}` });
    else if (containsKeyLike(id)) ctx.addIssue({ code: "custom", message: "looks like an API key; never paste a secret here" });
  })
  .openapi({ example: "a_1" });

const TYPE_FORM = "a lowercase letter, then lowercase letters, digits or _, at most 32 in all";

const RESOURCES_DOC = `Per resource type (at most ${MAX_RESOURCE_TYPES}; ${TYPE_FORM}), the ids the key may touch (at most ${MAX_RESOURCE_IDS} a type): exact ids, or prefixes ending in \`*\` (a lone \`*\`: every id). A type left out: every resource of that type; an empty list: none of them.`;

const resourceRecord = z
  .record(
    z.string().regex(RESOURCE_TYPE),
    z.array(resourceId).max(MAX_RESOURCE_IDS, `at most ${MAX_RESOURCE_IDS} ids per resource type`),
    { error: (iss) => (iss.code === "invalid_key" ? `${shown(iss.input)} is not a resource type: ${TYPE_FORM}` : undefined) },
  )
  .refine((r) => Object.keys(r).length <= MAX_RESOURCE_TYPES, `at most ${MAX_RESOURCE_TYPES} resource types`);

/** The resources field, `what` saying where it is used. */
export const resourceMap = (what: string) =>
  // zod drops a "__proto__" member from a record without a word (JSON.parse makes it an ordinary
  // one), which would store a different map than the one sent: refuse it like any bad type.
  z
    .preprocess((value, ctx) => {
      if (value !== null && typeof value === "object" && Object.hasOwn(value, "__proto__")) {
        ctx.addIssue({ code: "custom", path: ["__proto__"], message: `"__proto__" is not a resource type: ${TYPE_FORM}`, input: value });
      }
      return value;
    }, resourceRecord)
    .openapi({ description: `${what} ${RESOURCES_DOC}`, example: { agent: ["a_1", "a_2"], vector_store: ["vs_*"] } });

/** What a create or update body says about rules; `undefined` leaves a field as it is. */
export type NetworkFields = { allowedIps?: string[] | null; deniedIps?: string[] | null };
export type RuleFields = NetworkFields & { resources?: KeyRules["resources"] };

/** The columns a body changes: only those it names. */
export function networkChanges(body: NetworkFields): Partial<NetworkRules> {
  const out: Partial<NetworkRules> = {};
  if (body.allowedIps !== undefined) out.allowedIps = body.allowedIps;
  if (body.deniedIps !== undefined) out.deniedIps = body.deniedIps;
  return out;
}

export function ruleChanges(body: RuleFields): Partial<KeyRules> {
  return body.resources === undefined ? networkChanges(body) : { ...networkChanges(body), resources: body.resources };
}

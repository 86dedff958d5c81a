// Flag and argument values: checked here, before anything is sent, so a typo is a usage error
// (exit 2) with the expected form, not a round trip. Ranges the API knows better (a quota's upper
// bound, a plan's limits) are left to it.
import { parseCidr, RESOURCE_PATTERN, RESOURCE_TYPE } from "../../src/keys/access-rules.ts";
import { UsageError } from "./args.ts";
import type { Ctx } from "./command.ts";
import type { RateLimit } from "./output.ts";

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{8,40}$`);
const KEY_ID = ID("key");
const TENANT_ID = ID("ten");

/** The command's one positional argument, a key id (key_…) or tenant id (ten_…). */
export function idArg(ctx: Ctx, kind: "key" | "tenant", command: string): string {
  const id = ctx.args[0]!;
  if (!(kind === "key" ? KEY_ID : TENANT_ID).test(id)) throw new UsageError(`'${id}' is not a ${kind} id (${kind === "key" ? "key" : "ten"}_…)`, command);
  return id;
}

/** --key: a key's id. Someone reaching for --key to pass the admin key is told where it goes. */
export function keyIdFlag(value: string | undefined, command: string): string | undefined {
  if (value !== undefined && !KEY_ID.test(value)) {
    throw new UsageError(
      `--key takes a key's id (key_…), not a secret: the admin key is read from the KEYGATE_ADMIN_KEY environment variable only; got '${value}'`,
      command,
    );
  }
  return value;
}

/** --tenant: a tenant's id. */
export function tenantIdFlag(value: string | undefined, command: string): string | undefined {
  if (value !== undefined && !TENANT_ID.test(value)) throw new UsageError(`--tenant takes a tenant id (ten_…); got '${value}'`, command);
  return value;
}

export function required(ctx: Ctx, flag: "name" | "slug", command: string): string {
  const value = ctx.flags[flag];
  if (value === undefined) throw new UsageError(`missing --${flag}`, command);
  return nonEmpty(value, flag, command);
}

export function nonEmpty(value: string, flag: string, command: string): string {
  if (value.trim() === "") throw new UsageError(`--${flag} must not be empty`, command);
  return value;
}

export function oneOf(value: string | undefined, allowed: string[], flag: string, command: string): string | undefined {
  if (value !== undefined && !allowed.includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got '${value}'`, command);
  }
  return value;
}

/** Comma-separated scopes, blanks dropped. */
export function scopeList(value: string, command: string): string[] {
  const scopes = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (scopes.length === 0) throw new UsageError("--scopes needs at least one scope", command);
  return scopes;
}

/** The word that sets a limit back to what it inherits (null on the wire). */
export const DEFAULT = "default";

/**
 * --rate-limit "R/s, burst B" (also R/s,B): R tokens a second, bursts of B. The form the CLI prints,
 * so a value can be copied from `show`. "default" clears the override.
 */
export function rateLimitValue(value: string | undefined, command: string, flag = "rate-limit"): RateLimit | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === DEFAULT) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*s\s*,\s*(?:burst\s*)?(\d+)\s*$/i.exec(value);
  if (!m) {
    throw new UsageError(`--${flag} must look like '10/s, burst 20' (or 10/s,20), or be '${DEFAULT}'; got '${value}'`, command);
  }
  return { refillPerSecond: Number(m[1]), capacity: Number(m[2]) };
}

const isCount = (v: string) => /^\d+$/.test(v) && Number(v) >= 1 && Number.isSafeInteger(Number(v));

/** A whole number of at least 1. */
export function wholeNumber(value: string | undefined, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isCount(value)) throw new UsageError(`--${flag} must be a whole number of at least 1; got '${value}'`, command);
  return Number(value);
}

/** A whole number of at least 1, or "default" (null). */
export function countValue(value: string | undefined, flag: string, command: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === DEFAULT) return null;
  if (!isCount(value)) throw new UsageError(`--${flag} must be a whole number of at least 1, or '${DEFAULT}'; got '${value}'`, command);
  return Number(value);
}

/** The word that removes an access rule (null on the wire): no rule, not "nothing allowed". */
export const NONE = "none";

/** Comma-separated, blanks dropped; `none` is null where a rule may be removed (update). */
function ruleParts(value: string, flag: string, command: string, clearable: boolean): string[] | null {
  if (value.trim() === NONE) {
    if (!clearable) throw new UsageError(`--${flag} ${NONE} removes a rule on update; on create, leave --${flag} out`, command);
    return null;
  }
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) throw new UsageError(`--${flag} needs at least one entry${clearable ? `, or '${NONE}'` : ""}`, command);
  return parts;
}

/** --allow-ip / --deny-ip: addresses and CIDR ranges, IPv4 or IPv6, checked as the gateway checks them. */
export function ipListValue(value: string | undefined, flag: "allow-ip" | "deny-ip", command: string, clearable: boolean): string[] | null | undefined {
  if (value === undefined) return undefined;
  const entries = ruleParts(value, flag, command, clearable);
  const bad = entries?.find((e) => parseCidr(e) === null);
  if (bad !== undefined) {
    throw new UsageError(`--${flag}: '${bad}' is not an address (10.1.2.3, 2001:db8::1) or a CIDR range (10.0.0.0/8, 2001:db8::/32)`, command);
  }
  return entries;
}

/**
 * --resource agent=a_1,agent=a_2,vector_store=vs_*: TYPE=ID pairs, one type's ids gathered in the
 * order given. TYPE= with no id lists the type with no ids (none of it allowed), as `show` prints it.
 */
export function resourcesValue(value: string | undefined, command: string, clearable: boolean): Record<string, string[]> | null | undefined {
  if (value === undefined) return undefined;
  const parts = ruleParts(value, "resource", command, clearable);
  if (parts === null) return null;
  const out: Record<string, string[]> = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    const type = part.slice(0, Math.max(eq, 0)).trim();
    const id = part.slice(eq + 1).trim();
    if (eq === -1 || !RESOURCE_TYPE.test(type)) {
      throw new UsageError(
        `--resource takes TYPE=ID pairs, TYPE a lowercase letter then lowercase letters, digits or _ (agent=a_1,vector_store=vs_*); got '${part}'`,
        command,
      );
    }
    if (id !== "" && !RESOURCE_PATTERN.test(id)) {
      throw new UsageError(`--resource: '${id}' is not an id (letters, digits, . _ : ~ @ -) or a prefix ending in *`, command);
    }
    const ids = Object.hasOwn(out, type) ? out[type]! : (out[type] = []);
    if (id !== "") ids.push(id);
  }
  return out;
}

/** A resources map the way --resource takes it, so `show`'s output can be pasted back. */
export function resourcesText(resources: Record<string, string[]>): string {
  return Object.entries(resources)
    .flatMap(([type, ids]) => (ids.length === 0 ? [`${type}=`] : ids.map((id) => `${type}=${id}`)))
    .join(",");
}

/**
 * The rows `show` prints for a key's or tenant's access rules, each value in the form its flag
 * takes. Fields a gateway does not send (older ones; a tenant's resources) are left out.
 */
export function ruleRows(r: { resources?: Record<string, string[]> | null; allowedIps?: string[] | null; deniedIps?: string[] | null }): [string, string | undefined][] {
  const listed = (list: string[] | null | undefined, unset: string, empty: string) =>
    list === undefined ? undefined : list === null ? unset : list.length === 0 ? empty : list.join(",");
  const resources = r.resources === undefined ? undefined : r.resources === null || Object.keys(r.resources).length === 0 ? "every resource (no rule)" : resourcesText(r.resources);
  return [
    ["resources", resources],
    ["allowed ips", listed(r.allowedIps, "any network (no rule)", "no network: every address is refused")],
    ["denied ips", listed(r.deniedIps, "no rule", "no rule")],
  ];
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

export const EXPIRY_FORMS = "an ISO time with its zone (2027-01-01T12:00:00Z), a UTC day (2027-01-01: its start), or a duration from now (12h, 30d, 2w)";

/** Help lines for an expiry flag, its description starting at column `width`. */
export function expiryHelp(label: string, width: number, last: string): string[] {
  return [
    `${`  ${label}`.padEnd(width)}an ISO time with its zone (2027-01-01T12:00:00Z), a UTC day`,
    `${"".padEnd(width)}(2027-01-01: its first instant) or a duration from now (12h, 30d, 2w)${last}`,
  ];
}

/**
 * An expiry: an ISO time with a zone, a UTC day (its first instant), or a duration from now
 * (12h, 30d, 2w); "never" (null) where allowed. Returned as the ISO string the API takes.
 */
export function expiryValue(value: string, flag: string, command: string, opts: { never?: boolean; now?: number } = {}): string | null {
  const v = value.trim();
  if (opts.never && v === "never") return null;
  const duration = /^(\d+)([hdw])$/.exec(v);
  if (duration) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2]!]!;
    if (ms === 0 || !Number.isSafeInteger(ms)) throw new UsageError(`--${flag} duration must be more than zero; got '${value}'`, command);
    const at = (opts.now ?? Date.now()) + ms;
    if (at > 8.64e15) throw new UsageError(`--${flag} is too far away: '${value}'`, command);
    return new Date(at).toISOString();
  }
  if (isDay(v)) return `${v}T00:00:00.000Z`;
  if (ISO_DATETIME.test(v) && !Number.isNaN(Date.parse(v))) return v;
  throw new UsageError(`--${flag} must be ${EXPIRY_FORMS}${opts.never ? ", or 'never'" : ""}; got '${value}'`, command);
}

function isDay(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const ms = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(v);
}

export function dayValue(value: string | undefined, flag: string, command: string): string | undefined {
  if (value !== undefined && !isDay(value)) throw new UsageError(`--${flag} must be a UTC day, YYYY-MM-DD; got '${value}'`, command);
  return value;
}

/** --month YYYY-MM as its first and last UTC day. */
export function monthRange(value: string, command: string): { from: string; to: string } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!m) throw new UsageError(`--month must be YYYY-MM; got '${value}'`, command);
  const last = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
  return { from: `${value}-01`, to: `${value}-${String(last).padStart(2, "0")}` };
}

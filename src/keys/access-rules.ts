// Access rules beyond scopes: which resources a key may touch, and from which networks a key (and
// every key of a tenant) may be used. Pure functions over the rules a key's cached copy, its lease
// or its object holds; parsed with ipaddr.js, never by hand, and each list parsed once per isolate.
import ipaddr from "ipaddr.js";
import { BoundedMap } from "../core/bounded-map.ts";

/** `{"agent": ["a_1", "vs_*"]}`: per resource type, exact ids or a prefix ending in `*`. A type absent: every id; an empty list: none. */
export type Resources = Record<string, string[]>;
export type NetworkRules = { allowedIps: string[] | null; deniedIps: string[] | null };
export type KeyRules = NetworkRules & { resources: Resources | null };
export type ResourceRef = { type: string; id: string };

export const RESOURCE_TYPE = /^[a-z][a-z0-9_]{0,31}$/;
/** Ids as route parameters carry them; a trailing `*` makes a prefix. */
export const RESOURCE_ID = /^[A-Za-z0-9._:~@-]{1,128}$/;
export const RESOURCE_PATTERN = /^[A-Za-z0-9._:~@-]{0,128}\*?$/;
export const MAX_RESOURCE_TYPES = 20;
export const MAX_RESOURCE_IDS = 100;
export const MAX_CIDRS = 100;

export const NO_RULES: KeyRules = { allowedIps: null, deniedIps: null, resources: null };

/** Whether `resources` lets its holder touch `ref`. */
export function resourceAllowed(resources: Resources | null | undefined, ref: ResourceRef): boolean {
  if (!resources || !Object.hasOwn(resources, ref.type)) return true;
  return resources[ref.type]!.some((p) => (p.endsWith("*") ? ref.id.startsWith(p.slice(0, -1)) : ref.id === p));
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * An entry as a range: "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128).
 * IPv4-mapped IPv6 ("::ffff:10.0.0.0/104") is its IPv4 range. null: not a valid entry.
 */
export function parseCidr(entry: string): Range | null {
  if (typeof entry !== "string" || entry.length > 64) return null;
  const [addr, bits, extra] = entry.split("/");
  if (extra !== undefined || addr === undefined || !isCanonicalAddress(addr)) return null;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const parsed = ipaddr.parse(addr);
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return null;
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    return [(parsed as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  }
  return [parsed, prefix];
}

/** Canonical forms only: "10.1" or "010.0.0.1" parse, as classful or octal, to other addresses. */
export function isCanonicalAddress(s: string): boolean {
  // By shape first: the IPv4 check costs ~50 µs on an IPv6 string (it tries every IPv4 form).
  return s.includes(":") ? ipaddr.IPv6.isValid(s) && !s.includes("%") : ipaddr.IPv4.isValidFourPartDecimal(s);
}

/** The first entry that is not a valid CIDR or address, or null when all are. */
export function invalidCidr(list: readonly string[]): string | null {
  return list.find((e) => parseCidr(e) === null) ?? null;
}

const parsedLists = new BoundedMap<string, Range[]>(1_000);
/** Clients repeat: an address parsed once serves its next requests (IPv6 parsing costs ~10 µs). */
const parsedAddresses = new BoundedMap<string, ipaddr.IPv4 | ipaddr.IPv6 | null>(10_000);

/** A client address, IPv4-mapped IPv6 as IPv4; null when it is not a canonical address. */
export function clientAddress(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const known = parsedAddresses.get(s);
  if (known !== undefined) return known;
  let addr: ipaddr.IPv4 | ipaddr.IPv6 | null = null;
  if (s.length <= 64 && isCanonicalAddress(s)) addr = ipaddr.process(s);
  parsedAddresses.set(s, addr);
  return addr;
}

/** The same cached key hands the same array to every request: found by identity, no join. */
const byIdentity = new WeakMap<readonly string[], Range[]>();

function ranges(list: readonly string[]): Range[] {
  const seen = byIdentity.get(list);
  if (seen) return seen;
  const id = list.join(",");
  let r = parsedLists.get(id);
  if (!r) {
    // Lists are validated when stored; an entry that no longer parses matches nothing.
    r = list.map(parseCidr).filter((x): x is Range => x !== null);
    parsedLists.set(id, r);
  }
  byIdentity.set(list, r);
  return r;
}

function inAny(ip: ipaddr.IPv4 | ipaddr.IPv6, list: readonly string[]): boolean {
  return ranges(list).some(([range, bits]) => {
    if (ip.kind() === range.kind()) return ip.match(range as never, bits);
    // An IPv6 range wider than the mapped block (::/0, ::ffff:0:0/80) holds IPv4 clients too, as their mapped form.
    return ip.kind() === "ipv4" && (ip as ipaddr.IPv4).toIPv4MappedAddress().match(range as ipaddr.IPv6, bits);
  });
}

export type NetworkVerdict = "ok" | "denied" | "not-allowed" | "no-address";

/**
 * Whether a client at `ip` (CF-Connecting-IP, never X-Forwarded-For) passes every level's rules
 * (the key's and its tenant's): a denied range at any level refuses, and so does any level with an
 * allowlist the address is not in. With an allowlist and no usable address: refused (fail closed).
 */
export function networkVerdict(ip: string | null | undefined, levels: readonly (NetworkRules | null | undefined)[]): NetworkVerdict {
  const rules = levels.filter((l): l is NetworkRules => !!l && (!!l.allowedIps || !!l.deniedIps));
  if (rules.length === 0) return "ok";
  const addr = ip ? clientAddress(ip) : null;
  if (!addr) return rules.some((r) => r.allowedIps) ? "no-address" : "ok";
  if (rules.some((r) => r.deniedIps && inAny(addr, r.deniedIps))) return "denied";
  if (rules.some((r) => r.allowedIps && !inAny(addr, r.allowedIps))) return "not-allowed";
  return "ok";
}

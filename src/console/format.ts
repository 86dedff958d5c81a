// Numbers, times and states as people read them. Pure functions: the pages' tests render with a
// fixed `now`.
import type { Key } from "./types.ts";

const UNITS: [number, string][] = [
  [365 * 86_400_000, "y"],
  [30 * 86_400_000, "mo"],
  [7 * 86_400_000, "w"],
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "min"],
];

/** "3 min ago", "in 2 d", "just now". */
export function relative(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  for (const [ms, unit] of UNITS) {
    if (abs >= ms) {
      const n = Math.round(abs / ms);
      return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
    }
  }
  const n = Math.max(1, Math.round(abs / 60_000));
  return diff < 0 ? `${n} min ago` : `in ${n} min`;
}

/** "2026-11-30 10:39 UTC": unambiguous wherever the reader is. */
export function absolute(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const count = (n: number) => (Math.abs(n) >= 100_000 ? compact.format(n) : integer.format(n));

export function usd(n: number): string {
  if (n === 0) return "$0.00";
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

export const percent = (part: number, whole: number) => (whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)}%`);

export type KeyState = "active" | "disabled" | "expired" | "revoked" | "deleted";

export function keyState(k: Pick<Key, "deletedAt" | "revokedAt" | "enabled" | "expiresAt">, now = Date.now()): KeyState {
  if (k.deletedAt) return "deleted";
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return "expired";
  if (!k.enabled) return "disabled";
  return "active";
}

/** A rate limit as people say it: "60 / minute". */
export const rate = (r: { requests: number; per: string } | null | undefined) => (r ? `${count(r.requests)} / ${r.per}` : "—");

export const OUTCOME_LABELS: Record<string, string> = {
  valid: "Allowed",
  rate_limited: "Rate limited",
  quota_exceeded: "Quota exceeded",
  missing_credential: "No key",
  malformed_key: "Malformed key",
  unknown_key: "Unknown key",
  revoked: "Revoked key",
  expired: "Expired key",
  disabled: "Disabled key",
  tenant_inactive: "Tenant inactive",
  forbidden: "Forbidden",
  invalid_request: "Invalid request",
  origin_error: "Origin error",
  gateway_error: "Gateway error",
};

export const outcomeLabel = (o: string) => OUTCOME_LABELS[o] ?? o;

/** A month's first UTC day, for "this month" usage. */
export const monthStart = (now = Date.now()) => new Date(now).toISOString().slice(0, 8) + "01";

// A key's prefix ("kg_live_4f8Q") is recognisable as key material by every scanner; pages name a key
// by its environment and last four characters instead.
const KEY_PREFIX = /kg_(?:live|test)_[0-9A-Za-z]*/g;

/** Audit details and other stored JSON, fit for a page: no prefixes, nothing key-shaped. */
export function displayable(value: unknown): unknown {
  if (typeof value === "string") return value.replace(KEY_PREFIX, "[key]");
  if (Array.isArray(value)) return value.map(displayable);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "prefix").map(([k, v]) => [k, displayable(v)]));
  }
  return value;
}

export const json = (value: unknown) => JSON.stringify(displayable(value), null, 2);

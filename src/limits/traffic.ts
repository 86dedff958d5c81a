// Each key's request rate in this isolate, which sizes its leases: about one lease lifetime of its
// traffic, so a hot key calls its object about once per lease and a quiet one takes one token.
import { BoundedMap } from "../core/bounded-map.ts";
import { MAX_KEYS_PER_ISOLATE } from "./isolate-bounds.ts";
import { LEASE_MS } from "./lease-policy.ts";

type KeyTraffic = { windowStart: number; count: number; rate: number };

const traffic = new BoundedMap<string, KeyTraffic>(MAX_KEYS_PER_ISOLATE);

/** Below this, a window is too short to tell a rate from a coincidence. */
const MIN_RATE_WINDOW_MS = 100;

export function countTraffic(keyId: string, now: number): void {
  let t = traffic.get(keyId);
  if (!t) traffic.set(keyId, (t = { windowStart: now, count: 0, rate: 0 }));
  t.count++;
  const elapsed = now - t.windowStart;
  if (elapsed >= LEASE_MS) {
    const observed = (t.count * 1000) / elapsed;
    t.rate = t.rate === 0 ? observed : 0.5 * t.rate + 0.5 * observed;
    t.windowStart = now;
    t.count = 0;
  }
}

/** Requests per second of the key here: the last full window's, or the current one's if higher. */
export function rateOf(keyId: string, now: number): number {
  const t = traffic.get(keyId);
  if (!t) return 0;
  const current = (t.count * 1000) / Math.max(now - t.windowStart, MIN_RATE_WINDOW_MS);
  return Math.max(t.rate, current);
}

export function resetTraffic(): void {
  traffic.clear();
}

export const trafficSize = (): number => traffic.size;

// A bounded, TTL'd map that lives as long as the isolate. It is what lets a hot key cost no
// remote read at all; the bound keeps a flood of distinct keys from growing it without limit.
// An entry may also have a stale period after its TTL, in which lookup() still returns it
// (marked stale) so that the caller can serve it while it refreshes the entry in the background.
type Entry<V> = { value: V; expires: number; staleUntil: number };

export class MemoryCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly maxEntries: number;
  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** A fresh copy, or undefined. */
  get(key: string, now = Date.now()): V | undefined {
    const hit = this.lookup(key, now);
    return hit && !hit.stale ? hit.value : undefined;
  }

  /** A fresh copy, or a stale one within its stale period, or undefined. */
  lookup(key: string, now = Date.now()): { value: V; stale: boolean } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.staleUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert so Map order tracks recency: the first entry is always the least recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return { value: hit.value, stale: hit.expires <= now };
  }

  set(key: string, value: V, ttlMs: number, now = Date.now(), staleMs = 0): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + ttlMs, staleUntil: now + ttlMs + staleMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

// The ceiling every per-key map of an isolate relies on (limits/leases.ts, traffic.ts,
// usage-buffer.ts, keys/lookup.ts): however many distinct keys arrive, the map never grows past it.
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/core/bounded-map.ts";

describe("BoundedMap", () => {
  it("holds at most max entries under a flood of distinct keys, dropping the oldest first", () => {
    const map = new BoundedMap<string, number>(100);
    for (let i = 0; i < 10_000; i++) map.set(`k${i}`, i);
    expect(map.size).toBe(100);
    expect(map.has("k0")).toBe(false);
    expect(map.get("k9999")).toBe(9999);
    expect(map.has("k9900")).toBe(true);
  });

  it("updating a present key never evicts another", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 3);
    expect([...map.entries()]).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
  });
});

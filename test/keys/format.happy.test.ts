import { describe, expect, it } from "vitest";
import { BASE62 } from "../../src/core/base62.ts";
import { crc32 } from "../../src/core/crc32.ts";
import { displayParts, generateKey, parseKey } from "../../src/keys/format.ts";

describe("key format", () => {
  it("generates kg_live_/kg_test_ keys of 32 random + 6 checksum base62 characters", () => {
    const live = generateKey("live");
    const test = generateKey("test");
    expect(live).toMatch(/^kg_live_[0-9A-Za-z]{38}$/);
    expect(test).toMatch(/^kg_test_[0-9A-Za-z]{38}$/);
    expect(parseKey(live)).toEqual({ environment: "live" });
    expect(parseKey(test)).toEqual({ environment: "test" });
  });

  it("uses the standard CRC-32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("does not repeat itself and spreads over the whole alphabet", () => {
    const keys = Array.from({ length: 2000 }, () => generateKey("live"));
    expect(new Set(keys).size).toBe(keys.length);
    const seen = new Set(keys.flatMap((k) => [...k.slice(8, 40)]));
    expect(seen.size).toBe(62);
  });

  it("rejects every one-character change of a valid key, offline", () => {
    const key = generateKey("live");
    const alphabet = BASE62 + "_-.+/= \u00e9\u0000";
    let variants = 0;
    for (let i = 0; i < key.length; i++) {
      for (const ch of alphabet) {
        if (ch === key[i]) continue;
        const changed = key.slice(0, i) + ch + key.slice(i + 1);
        variants++;
        expect(parseKey(changed), `position ${i} → ${JSON.stringify(ch)}`).toBeNull();
      }
      // Deleting or duplicating a character is a one-character change too.
      expect(parseKey(key.slice(0, i) + key.slice(i + 1))).toBeNull();
      expect(parseKey(key.slice(0, i) + key[i] + key.slice(i))).toBeNull();
    }
    expect(variants).toBeGreaterThan(46 * 62);
  });

  it("rejects other shapes: wrong prefix, case, unicode, huge, empty", () => {
    const key = generateKey("live");
    for (const bad of [
      "",
      "kg_live_",
      key.replace("kg_live_", "kg_prod_"),
      key.replace("kg_live_", "KG_LIVE_"),
      key.toLowerCase(),
      key + "A",
      "kg_live_" + "\u0661".repeat(38),
      "x".repeat(100_000),
      ` ${key}`,
    ]) {
      expect(parseKey(bad)).toBeNull();
    }
  });

  it("shows a recognisable prefix and a 4-character hint, nothing more", () => {
    const key = generateKey("test");
    const { prefix, hint } = displayParts(key);
    expect(prefix).toBe(key.slice(0, 12));
    expect(hint).toBe(key.slice(-4));
  });
});

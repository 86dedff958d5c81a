// The lenient decoders behind the URL and header checks: they never throw (a throw there would be a
// 500 on a hostile URL), never give up on a key next to a bad escape, and read overlong UTF-8 the
// way a careless decoder would.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFully, decodeLeniently, escapedCharacters } from "../../src/core/percent.ts";

const escape = fc.integer({ min: 0, max: 255 }).map((b) => "%" + b.toString(16).padStart(2, "0"));
const hostile = fc.array(fc.oneof(escape, fc.constantFrom("%", "%Z", "%ZZ", "%0", "a", "/", "_", "kg_live_")), { maxLength: 40 }).map((p) => p.join(""));

describe("decodeLeniently / decodeFully", () => {
  it("decode what decodes and keep the rest, without throwing", () => {
    expect(decodeLeniently("kg%5Flive%5Fabc%ZZ%C0")).toBe("kg_live_abc%ZZ%C0");
    expect(decodeLeniently("%41%C3")).toBe("A%C3");
    expect(decodeLeniently("caf%C3%A9%FF")).toBe("caf\u00e9%FF");
    expect(decodeFully("kg%25255Flive")).toBe("kg_live");
    fc.assert(fc.property(hostile, (s) => void decodeFully(s)), { numRuns: 2000 });
  });
});

describe("escapedCharacters", () => {
  it("reads overlong forms as the ASCII they spell and flags them", () => {
    expect(escapedCharacters("%C0%AE%E0%80%AF%F0%80%80%AE%2e")).toEqual([
      { codePoint: 0x2e, overlong: true },
      { codePoint: 0x2f, overlong: true },
      { codePoint: 0x2e, overlong: true },
      { codePoint: 0x2e, overlong: false },
    ]);
    expect(escapedCharacters("%EF%BC%8E%F0%9F%94%91")).toEqual([
      { codePoint: 0xff0e, overlong: false },
      { codePoint: 0x1f511, overlong: false },
    ]);
  });

  it("skips what starts no sequence, truncated ones and code points past U+10FFFF, without throwing", () => {
    expect(escapedCharacters("%80%BF%FF%E0%80%F4%90%80%80")).toEqual([]);
    fc.assert(
      fc.property(hostile, (s) => {
        for (const { codePoint } of escapedCharacters(s)) expect(() => String.fromCodePoint(codePoint).normalize("NFKC")).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

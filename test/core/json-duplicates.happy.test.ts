// The duplicate-member scanner (src/core/json-duplicates.ts) on hand-picked texts: what it finds,
// where, and that it reads member names the way JSON.parse does (escapes decoded).
import { describe, expect, it } from "vitest";
import { scanJson } from "../../src/core/json-duplicates.ts";

describe("scanJson", () => {
  it("finds a member given twice, and names it", () => {
    expect(scanJson(`{"name":"a","permissionSet":"read_only","permissionSet":"full_access"}`)).toEqual({
      valid: true,
      duplicate: ["permissionSet"],
    });
  });

  it("finds one at any depth, with the path to it (array indices included)", () => {
    expect(scanJson(`{"a":[1,{"b":{}},{"c":{"d":1,"e":2,"d":3}}]}`)).toEqual({ valid: true, duplicate: ["a", 2, "c", "d"] });
    expect(scanJson(`[[],[{"x":1}],[{"y":1,"y":1}]]`)).toEqual({ valid: true, duplicate: [2, 0, "y"] });
  });

  it("compares names after decoding escapes, as JSON.parse does", () => {
    expect(scanJson(`{"scopes":1,"\\u0073copes":2}`).valid).toBe(true);
    expect(scanJson(`{"scopes":1,"\\u0073copes":2}`)).toEqual({ valid: true, duplicate: ["scopes"] });
    expect(scanJson(`{"a\\/b":1,"a/b":2}`)).toEqual({ valid: true, duplicate: ["a/b"] });
    expect(scanJson(`{"\\ud83d\\ude00":1,"😀":2}`)).toEqual({ valid: true, duplicate: ["😀"] });
  });

  it("reports the first duplicate only, and keeps checking the rest of the text", () => {
    expect(scanJson(`{"a":1,"a":2,"b":1,"b":2}`)).toEqual({ valid: true, duplicate: ["a"] });
    expect(scanJson(`{"a":1,"a":2,}`)).toEqual({ valid: false });
  });

  it("the same name in different objects, or as a value, is no duplicate", () => {
    for (const text of [
      `{"a":{"a":{"a":1}}}`,
      `[{"a":1},{"a":1}]`,
      `{"a":"a","b":"a"}`,
      `{"a":1,"A":2,"a ":3}`,
      `{"__proto__":1,"constructor":2,"toString":3}`,
      `{}`,
      `[]`,
      ` 1 `,
      `"x"`,
      `null`,
    ]) {
      expect(scanJson(text), text).toEqual({ valid: true, duplicate: null });
    }
  });

  it("refuses what JSON.parse refuses", () => {
    for (const text of [
      "",
      " ",
      "{",
      "{]",
      `{"a"}`,
      `{"a":}`,
      `{a:1}`,
      `{'a':1}`,
      `[1,]`,
      `[,1]`,
      `01`,
      `1.`,
      `.5`,
      `-`,
      `+1`,
      `1e`,
      `NaN`,
      `tru`,
      `nulll`,
      `"\t"`,
      `"\\x41"`,
      `"\\u12G4"`,
      `"abc`,
      `{} {}`,
      "\ufeff{}",
      `{"a":1}\u00a0`,
    ]) {
      expect(() => JSON.parse(text), JSON.stringify(text)).toThrow();
      expect(scanJson(text), JSON.stringify(text)).toEqual({ valid: false });
    }
    for (let c = 0; c < 0x20; c++) expect(scanJson(`["a${String.fromCharCode(c)}"]`), `raw U+${c.toString(16)}`).toEqual({ valid: false });
    expect(scanJson(`["a\u007f\u0085"]`)).toEqual({ valid: true, duplicate: null });
  });

  it("walks deep nesting without recursion", () => {
    const depth = 100_000;
    expect(scanJson("[".repeat(depth) + "]".repeat(depth))).toEqual({ valid: true, duplicate: null });
    const nested = `{"k":`.repeat(depth) + `{"x":1,"x":2}` + "}".repeat(depth);
    const scan = scanJson(nested);
    expect(scan.valid && scan.duplicate?.length).toBe(depth + 1);
  });

  it("reads a 512 KiB body quickly", () => {
    const row = JSON.stringify({ id: 123456, name: "a name with \\\"escapes\\\" and ünïcode", tags: ["x", "y"], n: -1.5e3, ok: true, none: null });
    const text = `[${Array.from({ length: Math.floor((512 * 1024) / (row.length + 1)) }, () => row).join(",")}]`;
    const started = performance.now();
    expect(scanJson(text)).toEqual({ valid: true, duplicate: null });
    expect(performance.now() - started).toBeLessThan(500);
  });
});

// Property-based: the duplicate-member scanner against JSON.parse. For any text it agrees with
// JSON.parse on validity and never throws; for any document written with repeated names (however
// escaped and spaced) it finds exactly the first repeat.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanJson, type JsonPath } from "../../src/core/json-duplicates.ts";

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const agrees = (text: string) => {
  const scan = scanJson(text);
  expect(scan.valid, JSON.stringify(text)).toBe(parses(text));
};

const controlArb = fc.integer({ min: 0, max: 0x20 }).map((c) => String.fromCharCode(c));

/** JSON-ish noise: the characters that matter to the grammar, plus anything else. */
const jsonishArb = fc.string({
  unit: fc.oneof(
    fc.constantFrom(..."{}[]:,\"\\ \t\n\r-+.0123456789eEtruefalsn/bu"),
    fc.constantFrom("\\u0041", "\\ud800", "true", "null", "false", "\u00a0", "\ufeff", "\u0000", "\u2028"),
    fc.string({ minLength: 1, maxLength: 1, unit: "binary" }),
    controlArb,
  ),
  maxLength: 40,
});

/** A valid text with one character removed, inserted or replaced. */
const mutatedArb = fc
  .tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.constantFrom("delete", "insert", "replace"), fc.oneof(fc.constantFrom(..."{}[]:,\" \\0-e.a"), controlArb))
  .map(([text, at, op, ch]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    if (op === "delete") return text.slice(0, i) + text.slice(i + 1);
    if (op === "insert") return text.slice(0, i) + ch + text.slice(i);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

// A document as a tree whose objects are lists of members, so names can repeat.
type Doc = { obj: [string, Doc][] } | { arr: Doc[] } | { leaf: unknown };
const nameArb = fc.constantFrom("a", "b", "c", "permissionSet", "__proto__", "a\u0000", "é", "😀", "\\", '"', "\ud800");
const { doc: docArb } = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ leaf: fc.jsonValue({ maxDepth: 0 }) }),
    fc.record({ obj: fc.array(fc.tuple(nameArb, tie("doc")), { maxLength: 4 }) }),
    fc.record({ arr: fc.array(tie("doc"), { maxLength: 3 }) }),
  ),
}));

/** Writes a string, escaping any character at random (\uXXXX or the short form). */
function writeString(s: string, rnd: () => number): string {
  let out = '"';
  for (const ch of s.split("")) {
    const code = ch.charCodeAt(0);
    const must = ch === '"' || ch === "\\" || code < 0x20;
    if (must || rnd() < 0.3) out += rnd() < 0.5 || !must ? `\\u${code.toString(16).padStart(4, "0")}` : JSON.stringify(ch).slice(1, -1);
    else out += ch;
  }
  return out + '"';
}

function write(d: Doc, rnd: () => number): string {
  const ws = () => [" ", "\n", "\t", "\r", ""][Math.floor(rnd() * 5)]!;
  if ("leaf" in d) return ws() + JSON.stringify(d.leaf) + ws();
  if ("arr" in d) return `[${ws()}${d.arr.map((v) => write(v, rnd)).join(",")}]`;
  return `{${ws()}${d.obj.map(([k, v]) => `${ws()}${writeString(k, rnd)}${ws()}:${write(v, rnd)}`).join(",")}}`;
}

/** The first repeated name in document order, as the scanner must report it. */
function firstDuplicate(d: Doc, path: JsonPath = []): JsonPath | null {
  if ("leaf" in d) return null;
  if ("arr" in d) {
    for (const [i, v] of d.arr.entries()) {
      const found = firstDuplicate(v, [...path, i]);
      if (found) return found;
    }
    return null;
  }
  const seen = new Set<string>();
  for (const [k, v] of d.obj) {
    if (seen.has(k)) return [...path, k];
    seen.add(k);
    const found = firstDuplicate(v, [...path, k]);
    if (found) return found;
  }
  return null;
}

describe("scanJson against JSON.parse", () => {
  it("agrees on validity for any JSON text", () => {
    fc.assert(fc.property(fc.json(), (text) => {
          expect(scanJson(text)).toEqual({ valid: true, duplicate: null });
        }), { numRuns: 500 });
  });

  it("agrees on validity for JSON-ish noise and never throws", () => {
    fc.assert(fc.property(jsonishArb, agrees), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 30 }), agrees), { numRuns: 1000 });
  });

  it("agrees on validity for valid texts one character away from valid", () => {
    fc.assert(fc.property(mutatedArb, agrees), { numRuns: 3000 });
  });

  it("finds exactly the first repeated member name of any document, however written", () => {
    fc.assert(
      fc.property(docArb, fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), (d, stream) => {
        const it = stream[Symbol.iterator]();
        const text = write(d, () => it.next().value as number);
        expect(parses(text), text).toBe(true);
        expect(scanJson(text), text).toEqual({ valid: true, duplicate: firstDuplicate(d) });
      }),
      { numRuns: 1500 },
    );
  });
});

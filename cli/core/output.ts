// Human-readable output: aligned tables and "label: value" blocks. Secrets are never formatted
// here; the one secret a command may print (a key just created or rolled) is printed by that command.
import { KEY_LIKE } from "../../src/core/redact.ts";

export type Printer = { out: (line?: string) => void; err: (line?: string) => void };

/** Controls (C0, DEL, C1), format characters (bidi overrides, zero-width), line and paragraph
 * separators, lone surrogates: anything a terminal would act on or not show. */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * The text with every non-printable character written as `\uXXXX`, except those in `keep`. Names
 * and descriptions come from tenant admins; printed raw, an escape sequence would rewrite the
 * operator's terminal and a bidi override would show another name. The escape is JSON's, so raw
 * JSON stays the same JSON.
 */
export function printable(text: string, keep = ""): string {
  return text.replace(NON_PRINTABLE, (m) =>
    keep.includes(m) ? m : [...Array(m.length).keys()].map((i) => `\\u${m.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""),
  );
}

/** Lines to stdout and stderr, never a raw control: line breaks and tabs of our own text pass. */
export function printer(stdout: (s: string) => void, stderr: (s: string) => void): Printer {
  return {
    out: (line = "") => stdout(`${printable(line, "\n\t")}\n`),
    err: (line = "") => stderr(`${printable(line, "\n\t")}\n`),
  };
}

/** Replaces anything key-shaped: used on every message that did not come from our own formatting. */
export function scrub(text: string): string {
  return text.replace(KEY_LIKE, (m) => `${m.slice(0, "kg_live_".length)}…[redacted]`);
}

/** Cells and values are escaped whole (line breaks too): one record stays one row or one line.
 * Columns listed in `right` (numbers) are right-aligned. */
export function table(headers: string[], cells: string[][], opts: { right?: number[] } = {}): string[] {
  const rows = cells.map((r) => r.map((c) => printable(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const right = new Set(opts.right ?? []);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function block(pairs: [string, string | null | undefined][]): string[] {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== null).map(([k, v]) => [k, printable(v)] as const);
  const width = Math.max(...shown.map(([k]) => k.length)) + 1;
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`);
}

/** ISO 8601 without milliseconds: 2026-11-22T00:13:05Z. */
export function when(iso: string | null | undefined, none = "-"): string {
  if (!iso) return none;
  return iso.replace(/\.\d{3}Z$/, "Z");
}

export type RateLimit = { capacity: number; refillPerSecond: number };

export function rate(r: RateLimit | null | undefined, none = "-"): string {
  return r ? `${r.refillPerSecond}/s, burst ${r.capacity}` : none;
}

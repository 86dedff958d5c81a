// Human-readable output: aligned tables and "label: value" blocks. Secrets are never formatted
// here; the one secret a command may print (a key just created or rolled) is printed by that command.
import { KEY_LIKE } from "../../src/core/redact.ts";

export type Printer = { out: (line?: string) => void; err: (line?: string) => void };

/** Replaces anything key-shaped: used on every message that did not come from our own formatting. */
export function scrub(text: string): string {
  return text.replace(KEY_LIKE, (m) => `${m.slice(0, "kg_live_".length)}…[redacted]`);
}

export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function block(pairs: [string, string | null | undefined][]): string[] {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== null);
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

// Structured logs, one JSON object per line. Everything passes through scrub(): even a field that
// should never hold a key (a header echo, an error message) cannot leak one.
import { KEY_LIKE } from "../keys/format.ts";

const REDACTED = "[redacted-key]";

export function scrub(value: unknown): unknown {
  if (typeof value === "string") return value.replace(KEY_LIKE, REDACTED);
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}

export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify(scrub({ level, event, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

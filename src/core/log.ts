// Structured logs, one JSON object per line. Everything passes through scrub(): even a field that
// should never hold a key (a header echo, an error message) cannot leak one.
import { decodeFully } from "./percent.ts";
import { scrub } from "./redact.ts";

export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify(scrub({ level, event, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * The path as logs and problem bodies show it: no query (where a careless client puts its key),
 * and decoded so that scrub() also catches a percent-encoded key. Segment by segment and leniently:
 * an escape that does not decode elsewhere in the path must not leave the key encoded.
 */
export function loggablePath(url: URL): string {
  const path = url.pathname;
  return path.includes("%") ? path.split("/").map(decodeFully).join("/") : path;
}

// Structured logs, one JSON object per line. Everything passes through scrub(): even a field that
// should never hold a key (a header echo, an error message) cannot leak one.
import { decodeFully } from "./percent.ts";
import { containsCredentialLike, scrub } from "./redact.ts";

export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  // One pass over the finished line instead of a walk over every field: a key or ticket is a run
  // of [A-Za-z0-9_], which JSON writes as it is, so it shows in the line exactly when it is in a
  // field. Only a line that holds one is built again, scrubbed.
  let line = JSON.stringify({ level, event, ...fields });
  if (containsCredentialLike(line)) line = JSON.stringify(scrub({ level, event, ...fields }));
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

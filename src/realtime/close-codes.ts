// What a client hears when an open WebSocket ends: the seeds' codes for the gateway's own reasons
// (4001 key no longer valid, 4003 not allowed, 4029 limited) and the standard ones otherwise. A
// close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5), so reasons stay short.
import { outcomeOf, type Outcome } from "../analytics/outcome.ts";
import type { Problem } from "../core/problem.ts";

export type Close = { code: number; reason: string };
/** A message refused: how the connection ends, and how usage counts the message. */
export type Refused = Close & { outcome: Outcome; status: number };

export const ORIGIN_DROPPED: Close = { code: 1011, reason: "the origin dropped the connection" };
export const LINK_LOST: Close = { code: 1012, reason: "the gateway restarted; reconnect" };
export const GOING_AWAY: Close = { code: 1001, reason: "the client went away" };

/** An admission refusal of one message, as the close that ends the connection. */
export function closeFor(problem: Problem): Refused {
  const counted = { outcome: outcomeOf(problem.status, problem), status: problem.status };
  if (problem.status === 429) {
    const retry = problem.options.headers?.["Retry-After"] ?? "1";
    return { code: 4029, reason: `rate limited; retry after ${retry} s`, ...counted };
  }
  if (problem.status === 401) return { code: 4001, reason: short(problem.options.detail ?? "the API key is no longer valid"), ...counted };
  if (problem.status === 403) return { code: 4003, reason: short(problem.options.detail ?? "not allowed"), ...counted };
  return { code: 1013, reason: "try again later", ...counted };
}

/**
 * A close as it may be passed on: 1005 (none given) and 1006 (no close frame: the peer vanished)
 * are only ever reported, never sent, 1015 is TLS's own, and a peer may send codes nobody may.
 */
export function passOn(code: number, reason: string, vanished: Close): Close {
  if (code === 1005) return { code: 1000, reason: "" };
  // What close() takes (a peer may put any number in its frame): anything else would throw there.
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return sendable ? { code, reason: short(reason) } : vanished;
}

export function short(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.byteLength <= 123) return reason;
  // Cut on a character boundary: a lone surrogate half would make the frame invalid UTF-8.
  let out = "";
  for (const ch of reason) {
    if (new TextEncoder().encode(out + ch).byteLength > 120) break;
    out += ch;
  }
  return out + "…";
}

/** Closes a socket whatever its state: one already closing is left alone, and a code close()
 * refuses still ends it (with 1011), or the socket would outlive the connection's slot. */
export function closeQuietly(ws: WebSocket, c: Close): void {
  try {
    ws.close(c.code, short(c.reason));
  } catch {
    if (ws.readyState === WebSocket.OPEN) ws.close(1011, "closed");
  }
}

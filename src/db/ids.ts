import { randomBase62, toBase62 } from "../core/base62.ts";

/**
 * `<prefix>_<8 chars of time><12 random>`: base62 sorts like ASCII, so ids sort by creation time
 * and serve directly as pagination cursors.
 */
export type IdPrefix = "ten" | "key" | "aud" | "job" | "alr" | "msg" | "opr";

/** `alr`: alert rules; `msg`: alert events, whose id is also every delivery's webhook-id; `opr`: operators. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${toBase62(Date.now(), 8)}${randomBase62(12)}`;
}

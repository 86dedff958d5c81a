import { randomBase62, toBase62 } from "../core/base62.ts";

/**
 * `<prefix>_<8 chars of time><12 random>`: base62 sorts like ASCII, so ids sort by creation time
 * and serve directly as pagination cursors.
 */
export function newId(prefix: "ten" | "key" | "aud" | "job"): string {
  return `${prefix}_${toBase62(Date.now(), 8)}${randomBase62(12)}`;
}

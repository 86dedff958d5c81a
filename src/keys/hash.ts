import { sha256 } from "@noble/hashes/sha2.js";

const encoder = new TextEncoder();
// Every request hashes its key. workerd has the native Uint8Array.prototype.toHex; Node 22 (the
// CLI, the node tests) falls back to a table lookup per byte.
const nativeHex = (Uint8Array.prototype as { toHex?: () => string }).toHex;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * SHA-256 of the whole key (or session token, or ticket), hex. A 190-bit random secret needs no
 * salt or slow hash.
 *
 * Synchronous, in JavaScript (@noble/hashes): for a 46-byte key that is a few µs, where
 * crypto.subtle.digest costs a promise and a trip into the runtime (~18 µs a request in the
 * bench). The alternative, remembering each presented key's hash, would keep plaintext keys as
 * map keys in isolate memory for as long as they stay cached; this keeps none past the request.
 */
export function hashKey(key: string): string {
  const digest = sha256(encoder.encode(key));
  if (nativeHex) return nativeHex.call(digest);
  let hex = "";
  for (const b of digest) hex += HEX[b];
  return hex;
}

/** Constant-time comparison of two equal-length hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  // Workers expose timingSafeEqual on SubtleCrypto; Node (the CLI) does not, hence the fallback.
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: Uint8Array, b: Uint8Array) => boolean };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

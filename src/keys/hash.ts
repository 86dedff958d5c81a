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

/**
 * Constant-time comparison of two hex digests: every character is compared, with no branch on
 * their values. In place, on the strings: encoding both for crypto.subtle.timingSafeEqual cost
 * two allocations and a trip into the runtime on every request.
 */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

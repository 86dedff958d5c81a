// Key format: kg_<env>_<32 random base62><6 base62 CRC-32 of everything before it>.
// The fixed prefix lets secret scanners recognise a leaked key; the checksum rejects typos and
// invented keys offline, before any cache or database is asked.
import { randomBase62, toBase62 } from "../core/base62.ts";
import { crc32 } from "../core/crc32.ts";

export type KeyEnvironment = "live" | "test";

export const RANDOM_LENGTH = 32; // 190 bits of entropy
export const CHECKSUM_LENGTH = 6; // 62^6 > 2^32
export const KEY_PATTERN = /^kg_(live|test)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
const MAX_KEY_LENGTH = 64;

export function checksumOf(head: string): string {
  return toBase62(crc32(head), CHECKSUM_LENGTH);
}

export function generateKey(environment: KeyEnvironment): string {
  const head = `kg_${environment}_${randomBase62(RANDOM_LENGTH)}`;
  return head + checksumOf(head);
}

export type ParsedKey = { environment: KeyEnvironment };

/** Offline check: shape and checksum. Returns null for anything that cannot be a keygate key. */
export function parseKey(candidate: string): ParsedKey | null {
  if (candidate.length > MAX_KEY_LENGTH) return null;
  const m = KEY_PATTERN.exec(candidate);
  if (!m) return null;
  const head = candidate.slice(0, candidate.length - CHECKSUM_LENGTH);
  if (checksumOf(head) !== m[3]) return null;
  return { environment: m[1] as KeyEnvironment };
}

/** What may be shown of a key after creation: enough to recognise it, useless to an attacker. */
export function displayParts(key: string): { prefix: string; hint: string } {
  return { prefix: key.slice(0, "kg_live_".length + 4), hint: key.slice(-4) };
}

// Percent-decoding for the checks that look for a key in a URL or a header value, and for the path
// the logs show. decodeURIComponent throws on the first escape it cannot decode (`%ZZ`, a lone
// `%C0`), and a caller that falls back to the raw text then misses every encoded key next to it;
// these never give up.

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/** How many bytes a UTF-8 sequence starting with `lead` has; 0 when it starts none. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc0 && lead < 0xe0) return 2;
  if (lead >= 0xe0 && lead < 0xf0) return 3;
  if (lead >= 0xf0 && lead < 0xf8) return 4;
  return 0;
}

/** A run of escapes, decoded sequence by sequence when it is not UTF-8 as a whole. */
function decodeRun(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    const escapes = run.match(/%../g)!;
    let out = "";
    for (let i = 0; i < escapes.length; ) {
      const length = sequenceLength(parseInt(escapes[i]!.slice(1), 16)) || 1;
      try {
        out += decodeURIComponent(escapes.slice(i, i + length).join(""));
        i += length;
      } catch {
        out += escapes[i++];
      }
    }
    return out;
  }
}

/**
 * One round of decoding: every escape sequence that is UTF-8 is decoded, and every one that is not
 * (`%C0`, `%FF`) stays as sent, as does anything that is no escape (`%ZZ`).
 */
export function decodeLeniently(s: string): string {
  return s.includes("%") ? s.replace(ESCAPE_RUN, decodeRun) : s;
}

/** Up to this many rounds: enough for any double or triple encoding a client or a proxy would make. */
const MAX_ROUNDS = 4;

/** Decoded until nothing changes, so a double-encoded key (`%255F`) is found too. */
export function decodeFully(s: string): string {
  let current = s;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = decodeLeniently(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** A character an escape run spells, and whether it was spelt longer than UTF-8 allows. */
export type Escaped = { codePoint: number; overlong: boolean };

/** The shortest UTF-8 form of each length: anything below it is an overlong spelling. */
const MIN_CODE_POINT = [0, 0, 0x80, 0x800, 0x10000];

/**
 * What each run of escapes spells for a decoder that does not insist on the shortest form, as old
 * or hand-written ones do: `%C0%AE` is "." to them. Bytes that start no sequence are skipped (no
 * decoder reads an ASCII character out of them).
 */
export function escapedCharacters(s: string): Escaped[] {
  const out: Escaped[] = [];
  for (const run of s.match(ESCAPE_RUN) ?? []) {
    const bytes = run.slice(1).split("%").map((h) => parseInt(h, 16));
    for (let i = 0; i < bytes.length; ) {
      const lead = bytes[i]!;
      const length = sequenceLength(lead);
      let codePoint = length === 1 ? lead : lead & (0xff >> (length + 1));
      let n = 1;
      while (n < length && (bytes[i + n]! & 0xc0) === 0x80) codePoint = (codePoint << 6) | (bytes[i + n++]! & 0x3f);
      if (length === 0 || n < length || codePoint > 0x10ffff) {
        i++;
        continue;
      }
      out.push({ codePoint, overlong: codePoint < MIN_CODE_POINT[length]! });
      i += length;
    }
  }
  return out;
}

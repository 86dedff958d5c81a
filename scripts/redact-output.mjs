// Redacts key-shaped values from a line of tool output (wrangler dev's request log), also when the
// key is percent-encoded in a URL: the rule keygate's own logs follow (src/core/redact.ts).
const { containsKeyLike, scrub } = await import("../src/core/redact.ts");

/**
 * Each %XX on its own, so one bad escape elsewhere in the line cannot hide a key.
 * @param {string} line
 */
const decodeEscapes = (line) => line.replace(/%([0-9A-Fa-f]{2})/g, (_, /** @type {string} */ hex) => String.fromCharCode(parseInt(hex, 16)));

/** @param {string} line */
export function redactLine(line) {
  const decoded = decodeEscapes(line);
  return containsKeyLike(decoded) ? String(scrub(decoded)) : line;
}

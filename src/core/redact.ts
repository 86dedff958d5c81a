// Key-shaped values, wherever they turn up. The key format itself lives in keys/format.ts; this is
// the shape that scanners, logs and every "never store or echo a key" check recognise.

/** Finds key-shaped strings anywhere in text (global: for replace, as in scrubbing logs). */
export const KEY_LIKE = /kg_(?:live|test)_[0-9A-Za-z]{8,}/g;
const KEY_LIKE_ONCE = new RegExp(KEY_LIKE.source);

export const REDACTED = "[redacted-key]";

/** A WebSocket ticket (keys/ticket.ts): single use and short-lived, but a credential while it lives. */
const TICKET_LIKE = /kgt_[0-9A-Za-z_]{8,}/g;
export const REDACTED_TICKET = "[redacted-ticket]";
const CREDENTIAL_LIKE_ONCE = new RegExp(`${KEY_LIKE.source}|${TICKET_LIKE.source}`);

/** Whether text holds anything scrub() would replace: a key or a ticket. */
export function containsCredentialLike(text: string): boolean {
  return CREDENTIAL_LIKE_ONCE.test(text);
}

/** Whether text holds anything key-shaped (a URL, a header, a free-text field). */
export function containsKeyLike(text: string): boolean {
  return KEY_LIKE_ONCE.test(text);
}

/** The value with every key-shaped string replaced, however deep in arrays and objects. */
export function scrub(value: unknown): unknown {
  if (typeof value === "string") return value.replace(KEY_LIKE, REDACTED).replace(TICKET_LIKE, REDACTED_TICKET);
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}

/** D1 reports constraint violations as text; drizzle wraps them. This finds the text either way. */
export function isUniqueViolation(err: unknown, columnHint: string): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.includes("UNIQUE constraint failed") && message.includes(columnHint)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** A D1 failure or timeout anywhere in the cause chain: the client should retry, not report a bug. */
export function isStoreFailure(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (/D1_|did not answer within/.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

// Waiting for work another request of this isolate has under way (a lease call, a cache load)
// without awaiting its promise. workerd does not always resume a request that awaited another
// request's promise in its own context: in the bench, once the process had run another Worker
// hard, such waiters' answers were made in the other request's context and failed as it ended
// ("Cannot perform I/O on behalf of a different request", a 500 from the runtime). Settling a
// waiter's own promise from the other request is no way out either: workerd then cancels the
// waiter as hung (both tried). A timer a request sets always fires in that request, so waiters
// look again on timers of their own.

/** After 2, 4, 8 and 16 ms: what `check` finds, as soon as it finds something, while `busy()` holds. */
export async function lookAgain<T>(check: () => T | undefined, busy: () => boolean): Promise<T | undefined> {
  for (let ms = 2; ms <= 16; ms *= 2) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const found = check();
    if (found !== undefined) return found;
    if (!busy()) return undefined;
  }
  return undefined;
}

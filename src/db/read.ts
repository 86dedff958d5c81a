// Reads on the request path that D1 must answer: bounded by a deadline, and a failure becomes the
// client's 503 store-unavailable (retry shortly), never a 500 or a wait without end.
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";

const D1_READ_DEADLINE_MS = 2_000;

export async function readD1<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await deadline(query(), D1_READ_DEADLINE_MS, "D1 read");
  } catch (err) {
    log("error", "d1.read_failed", { what, error: String(err) });
    throw new Problem("store-unavailable", {
      detail: "The key store is temporarily unavailable; retry shortly.",
      headers: { "Retry-After": "5" },
    });
  }
}

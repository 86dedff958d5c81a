// Requests that fail authentication are limited per client IP, before any lookup, so a flood of
// guessed keys cannot turn into a flood of KV and D1 reads. The Workers rate-limiting binding is
// per location and approximate, which is all a filter needs; it is only asked on a failure, never
// on the hot path, and its "no" is remembered here so the next tries cost nothing at all.
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import { MemoryCache } from "../core/memory-cache.ts";

/** How long an IP that tripped the limit is refused in this isolate without asking anyone. */
export const BLOCK_MS = 10_000;
const blocked = new MemoryCache<true>(50_000);

export function clientIp(headers: Headers): string {
  return headers.get("cf-connecting-ip") ?? "unknown";
}

export function refuseIfBlocked(ip: string): void {
  if (blocked.get(ip)) throw tooMany();
}

export async function countFailure(limiter: RateLimit, ip: string): Promise<void> {
  try {
    const { success } = await limiter.limit({ key: ip });
    if (!success) blocked.set(ip, true, BLOCK_MS);
  } catch (err) {
    log("warn", "auth_failures.limit_failed", { error: String(err) });
  }
}

function tooMany(): Problem {
  return new Problem("too-many-auth-failures", {
    detail: "Too many requests with invalid API keys from this address. Wait and retry with a valid key.",
    headers: { "Retry-After": String(BLOCK_MS / 1000) },
  });
}

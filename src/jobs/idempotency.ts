// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), scoped to the tenant. The first
// request with a key records its response; a repeat with the same payload gets that response
// again (Idempotent-Replayed: true); a repeat while the first is still running gets 409; a repeat
// with a different payload gets 422. Records are kept IDEMPOTENCY_RETENTION_MS (24 h).
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { Problem, problemResponse } from "../core/problem.ts";
import { log, loggablePath } from "../core/log.ts";
import { containsKeyLike } from "../core/redact.ts";

export const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;
/**
 * A record still "in flight" after this long belongs to a request that died: it may be taken
 * over. Longer than any route's origin timeout (at most 120 s), so a slow first attempt is never
 * overtaken while it can still finish.
 */
export const IN_FLIGHT_TIMEOUT_MS = 5 * 60_000;
/** Response bodies larger than this are not stored (the retry then runs again). */
const MAX_STORED_BODY = 64 * 1024;
const REPLAYED_HEADERS = ["content-type", "x-keygate-job-id", "location"];

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The header as a Structured Field string ("abc") or, as many clients send it, bare. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const raw = header.trim();
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (!KEY.test(value)) {
    throw new Problem("bad-request", { detail: "Idempotency-Key must be 1 to 255 printable ASCII characters." });
  }
  if (containsKeyLike(value)) {
    throw new Problem("bad-request", { detail: "Idempotency-Key looks like an API key; use a random value (a UUID) and treat that key as exposed." });
  }
  return value;
}

async function fingerprint(method: string, target: string, body: ArrayBuffer | null): Promise<string> {
  const head = new TextEncoder().encode(`${method} ${target}\n`);
  const bytes = new Uint8Array(head.byteLength + (body?.byteLength ?? 0));
  bytes.set(head);
  if (body) bytes.set(new Uint8Array(body), head.byteLength);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

type Stored = { fingerprint: string; state: "in_flight" | "done"; status: number | null; headers: string | null; body: string | null; created_at: number; expires_at: number };

/**
 * Runs `work` at most once per (tenant, key) and payload. `work` may throw a Problem: client
 * errors are recorded and replayed like any response; 5xx other than a 504 are not.
 */
export async function withIdempotency(c: Context<AppEnv>, body: ArrayBuffer | null, work: () => Promise<Response>): Promise<Response> {
  const key = idempotencyKeyOf(c.req.header("idempotency-key"));
  if (key === null) return work();
  const { d1 } = c.get("stores");
  const tenantId = c.get("principal").key.tenantId;
  const url = c.get("url");
  // The query is forwarded and signed, so it is part of what makes two requests the same.
  const print = await fingerprint(c.req.method, url.pathname + url.search, body);
  const now = Date.now();
  const claim = crypto.randomUUID();

  const claimed = await d1
    .prepare(
      `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, state, claim, created_at, expires_at)
       VALUES (?, ?, ?, 'in_flight', ?, ?, ?)
       ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_flight',
         claim = excluded.claim, status = NULL, headers = NULL, body = NULL, created_at = excluded.created_at,
         expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= ?
          OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.created_at <= ?
              AND idempotency_keys.fingerprint = excluded.fingerprint)`,
    )
    .bind(tenantId, key, print, claim, now, now + IDEMPOTENCY_RETENTION_MS, now, now - IN_FLIGHT_TIMEOUT_MS)
    .run();

  if (claimed.meta.changes === 0) {
    const stored = await d1.prepare("SELECT * FROM idempotency_keys WHERE tenant_id = ? AND key = ?").bind(tenantId, key).first<Stored>();
    if (!stored) throw new Problem("idempotency-key-in-flight", { detail: "Retry shortly." });
    if (stored.fingerprint !== print) {
      throw new Problem("idempotency-key-reused", { detail: "This Idempotency-Key was used with a different request; use a new key." });
    }
    if (stored.state === "in_flight") {
      throw new Problem("idempotency-key-in-flight", { detail: "The first request with this Idempotency-Key has not finished; retry shortly.", headers: { "Retry-After": "1" } });
    }
    const headers = new Headers(stored.headers ? (JSON.parse(stored.headers) as Record<string, string>) : {});
    headers.set("Idempotent-Replayed", "true");
    return new Response(stored.body, { status: stored.status ?? 200, headers });
  }

  const mine = { d1, tenantId, key, claim };
  let response: Response;
  try {
    response = await work();
  } catch (err) {
    if (!(err instanceof Problem) || (err.status >= 500 && err.kind !== "origin-timeout")) {
      await release(mine);
      throw err;
    }
    response = problemResponse(err, c.get("requestId"), loggablePath(url));
  }
  // 5xx are not kept (a retry should run again), except a timeout after which a job exists that
  // may be running: a retry replays that answer, job id and all, instead of making a second job.
  if (response.status >= 500 && response.status !== 504) {
    await release(mine);
    return response;
  }
  const text = await response.clone().text();
  if (text.length > MAX_STORED_BODY) {
    await release(mine);
    return response;
  }
  const headers = Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (response.headers.has(h) ? [[h, response.headers.get(h)!]] : [])));
  try {
    await d1
      .prepare("UPDATE idempotency_keys SET state = 'done', status = ?, headers = ?, body = ? WHERE tenant_id = ? AND key = ? AND claim = ?")
      .bind(response.status, JSON.stringify(headers), text, tenantId, key, claim)
      .run();
  } catch (err) {
    // The work is done and the client should hear so; a retry meets the in-flight record (409)
    // until it times out. Worse would be a 500 for a job that exists.
    log("error", "idempotency.record_failed", { tenantId, error: String(err) });
  }
  return response;
}

async function release(r: { d1: D1Database; tenantId: string; key: string; claim: string }): Promise<void> {
  await r.d1
    .prepare("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND state = 'in_flight' AND claim = ?")
    .bind(r.tenantId, r.key, r.claim)
    .run()
    .catch((err: unknown) => log("warn", "idempotency.release_failed", { error: String(err) }));
}

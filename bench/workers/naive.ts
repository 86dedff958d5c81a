// Row (n): the naive seed design, as a peer of keygate in the same run, so a reader sees what
// keygate's design (isolate copies of key and tenant, leases, usage batched in the key's object)
// buys. Per request, in order, each awaited:
//   1. KV read: the key's record, by the SHA-256 (hex) of the presented bearer key;
//   2. an object call: the key's NaiveLimiter (one SQLite-backed Durable Object per key), a token
//      bucket kept in memory and written to the object's storage on every call (an exact limit
//      that survives the object's eviction);
//   3. D1 write: one INSERT of a usage row (table naive_usage, made by bench/lib/setup.mjs);
//   4. a plain fetch of the origin (no signature, no header hygiene), whose response is returned.
// It answers with the same Server-Timing counts as keygate (1 KV read, 1 object call, 1 D1 write),
// so the bench counts its store calls the same way. Outbound fetches go straight to workerd's HTTP
// client through the ORIGIN binding, as for (a) and (b).
import { DurableObject } from "cloudflare:workers";

type KeyRecord = { keyId: string; tenantId: string; scopes: string[]; capacity: number; refillPerSecond: number };

type Env = {
  ORIGIN_URL: string;
  ORIGIN?: { fetch: typeof fetch };
  NAIVE_KEYS: KVNamespace;
  NAIVE_DB: D1Database;
  NAIVE_LIMITER: DurableObjectNamespace<NaiveLimiter>;
};

const TIMING = 'do-call;desc="1", kv-read;desc="1", d1-write;desc="1"';

function problem(status: number, title: string): Response {
  return new Response(JSON.stringify({ type: "about:blank", title, status }), { status, headers: { "content-type": "application/problem+json", "server-timing": TIMING } });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class NaiveLimiter extends DurableObject {
  private bucket: { tokens: number; at: number } | undefined;

  /** Takes one token if there is one; the bucket is written to storage on every call. */
  take(capacity: number, refillPerSecond: number): { ok: boolean; remaining: number } {
    const now = Date.now();
    const stored = (this.bucket ??= this.ctx.storage.kv.get<{ tokens: number; at: number }>("bucket") ?? { tokens: capacity, at: now });
    const tokens = Math.min(capacity, stored.tokens + ((now - stored.at) / 1000) * refillPerSecond);
    const ok = tokens >= 1;
    this.bucket = { tokens: ok ? tokens - 1 : tokens, at: now };
    this.ctx.storage.kv.put("bucket", this.bucket);
    return { ok, remaining: Math.floor(this.bucket.tokens) };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const auth = request.headers.get("authorization") ?? "";
    if (!auth.startsWith("Bearer ")) return problem(401, "Missing API key");
    const record = await env.NAIVE_KEYS.get<KeyRecord>(await sha256Hex(auth.slice(7)), "json");
    if (!record) return problem(401, "Unknown API key");
    const limiter = env.NAIVE_LIMITER.get(env.NAIVE_LIMITER.idFromName(record.keyId));
    const { ok } = await limiter.take(record.capacity, record.refillPerSecond);
    const incoming = new URL(request.url);
    await env.NAIVE_DB.prepare("INSERT INTO naive_usage (key_id, at, path, admitted) VALUES (?, ?, ?, ?)")
      .bind(record.keyId, Date.now(), incoming.pathname, ok ? 1 : 0)
      .run();
    if (!ok) return problem(429, "Rate limit exceeded");
    const forwarded = new Request(new URL(incoming.pathname + incoming.search, env.ORIGIN_URL), request);
    const response = await (env.ORIGIN ? env.ORIGIN.fetch(forwarded) : fetch(forwarded));
    const out = new Response(response.body, response);
    out.headers.set("server-timing", TIMING);
    return out;
  },
};

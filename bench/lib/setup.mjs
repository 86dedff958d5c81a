// The data every scenario needs: the schema (migrations/*.sql), a platform key made the way
// `keygate bootstrap` makes one (src/admin/bootstrap.ts, run against the D1 binding), then through
// the admin API a tenant and its keys.
import { createHash } from "node:crypto";
import { applyMigrations } from "./stack.mjs";

/** `bucket`: the bench tenant's keys' default bucket and the bucket they share, so neither decides a scenario that does not set its own. */
export async function setupData(mf, baseUrl, bucket) {
  const db = await mf.getD1Database("DB", "keygate");
  await applyMigrations(db);
  const { bootstrapStatements } = await import("../../src/admin/bootstrap.ts");
  const platform = await bootstrapStatements({ name: "bench-platform" });
  for (const s of platform.statements) await db.prepare(s).run();
  const api = async (method, p, body) => {
    const r = await fetch(baseUrl + p, {
      method,
      headers: { authorization: `Bearer ${platform.key}`, "content-type": "application/json", "cf-connecting-ip": "198.51.100.1" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  const tenant = await api("POST", "/v1/tenants", { name: "Bench", slug: "bench", plan: "enterprise", rateLimit: bucket, tenantRateLimit: bucket });
  /** A key of the bench tenant with scope `query` and its own rate limit. */
  const createKey = async (name, rateLimit) => {
    const k = await api("POST", "/v1/keys", { name, tenantId: tenant.id, scopes: ["query"], rateLimit });
    return { key: k.key, id: k.id };
  };
  const inBatches = async (items, n, fn) => {
    const out = [];
    for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(fn))));
    return out;
  };
  return { db, api, tenant, createKey, inBatches };
}

/**
 * The naive design's data (bench/workers/naive.ts): its usage table in its own D1 database, and a
 * KV record per key under the SHA-256 (hex) of the key, with the key's bucket.
 */
export async function setupNaive(mf, keys) {
  const db = await mf.getD1Database("NAIVE_DB", "naive");
  await db
    .prepare("CREATE TABLE IF NOT EXISTS naive_usage (id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, at INTEGER NOT NULL, path TEXT NOT NULL, admitted INTEGER NOT NULL)")
    .run();
  const kv = await mf.getKVNamespace("NAIVE_KEYS", "naive");
  for (const k of keys) {
    const hash = createHash("sha256").update(k.key).digest("hex");
    await kv.put(hash, JSON.stringify({ keyId: k.id, tenantId: "bench", scopes: ["query"], capacity: k.bucket.capacity, refillPerSecond: k.bucket.refillPerSecond }));
  }
  return { db };
}

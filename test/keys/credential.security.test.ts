// Credentials on the routes that matter most, the forwarded ones: a key in the URL, two keys, and
// keys that exist but must not work (revoked, expired, rolled past their grace, disabled, of an
// inactive tenant) never get a request to an origin, never create a job or an Idempotency-Key
// record. A tenant deactivated while its keys are busy stops them as soon as the change returns.
// And where a key must never end up: D1 (free-text fields), responses.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/keys/hash.ts";
import { memory } from "../../src/keys/lookup.ts";
import { BASE, call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { captureLogs, d1Snapshot, freshIp, changedTables } from "../support/hostile.ts";

captureLogs();
let platform: string;
let admin: string;
let client: { key: string; id: string; tenantId: string };
beforeAll(async () => {
  platform = await platformKey();
  admin = (await tenantWithAdmin(platform, { plan: "enterprise" })).admin;
  client = await createKey(admin, { scopes: ["query", "jobs:write", "jobs:read"] });
});
afterEach(() => vi.restoreAllMocks());

/** Counts the requests the Worker sends to origins. */
function watchOrigins(): string[] {
  const sent: string[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Request(input, init).url);
    return real(input, init);
  });
  return sent;
}

const FORWARDED: [string, string, unknown][] = [
  ["GET", "/v1/echo/x", undefined],
  ["POST", "/v1/query", { sql: "select 1" }],
  ["POST", "/v1/ingest", { source: "s", payload: 1 }],
];

async function expectRefusedBeforeForwarding(label: string, send: () => Promise<Response>, status: number, type: string, secrets: string[]) {
  const sent = watchOrigins();
  const before = await d1Snapshot();
  const res = await send();
  const text = await res.text();
  expect(res.status, `${label}: ${text}`).toBe(status);
  expect(JSON.parse(text).type, label).toBe(type);
  for (const s of secrets) expect(text + JSON.stringify([...res.headers]), label).not.toContain(s.slice(8));
  expect(sent, label).toEqual([]);
  expect(changedTables(before, await d1Snapshot()), label).toEqual([]);
  vi.restoreAllMocks();
}

describe("a key in the URL of a forwarded route", () => {
  it("is refused with 400 before anything is forwarded, recorded or echoed, in any spelling", async () => {
    const k = client.key;
    const spellings = [
      `?api_key=${k}`,
      `?q=${k}`,
      `?q=${encodeURIComponent(k)}`,
      `?q=${[...k].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join("")}`,
      `/${k}`,
      `?access_token=anything`,
      `?APIKEY=anything`,
      `?x=Bearer%20${k}`,
    ];
    for (const [method, path, body] of FORWARDED) {
      for (const spelling of spellings) {
        const target = spelling.startsWith("/") ? path + spelling : path + spelling;
        await expectRefusedBeforeForwarding(
          `${method} ${target}`,
          () => call(target, { method, key: k, body, headers: { "Idempotency-Key": crypto.randomUUID() } }),
          400,
          "https://keygate.dev/problems/invalid-request",
          [k],
        );
      }
    }
  });
});

describe("two credentials on a forwarded route", () => {
  it("two keys, the same key in both headers, or one header repeated, is 400 invalid_request and nothing is forwarded", async () => {
    const other = await createKey(admin, { scopes: ["query", "jobs:write"] });
    const shapes: [string, Record<string, string>][] = [
      ["Authorization + X-API-Key", { Authorization: `Bearer ${client.key}`, "X-API-Key": other.key }],
      // RFC 6750 §2: one method per request, even when both carry the same key.
      ["the same key in Authorization and X-API-Key", { Authorization: `Bearer ${client.key}`, "X-API-Key": client.key }],
      ["Authorization twice", { Authorization: `Bearer ${client.key}, Bearer ${other.key}` }],
      ["X-API-Key twice", { "X-API-Key": `${client.key}, ${other.key}` }],
    ];
    for (const [method, path, body] of FORWARDED) {
      for (const [shape, headers] of shapes) {
        await expectRefusedBeforeForwarding(
          `${shape} on ${method} ${path}`,
          () => exports.default.fetch(new Request(BASE + path, { method, headers: { ...headers, "content-type": "application/json", "cf-connecting-ip": freshIp() }, body: body ? JSON.stringify(body) : undefined })),
          400,
          "https://keygate.dev/problems/invalid-request",
          [client.key, other.key],
        );
      }
    }
  });
});

describe("keys that exist but must not work, on forwarded routes", () => {
  it("revoked, expired, rolled past grace, disabled, inactive tenant: refused, nothing forwarded or recorded", async () => {
    const mk = () => createKey(admin, { scopes: ["query", "jobs:write"] });
    const revoked = await mk();
    await call(`/v1/keys/${revoked.id}/revoke`, { key: admin, body: {} });
    const disabled = await mk();
    await call(`/v1/keys/${disabled.id}`, { method: "PATCH", key: admin, body: { enabled: false } });
    const rolled = await mk();
    const successor = await json(await call(`/v1/keys/${rolled.id}/roll`, { key: admin, body: { gracePeriodSeconds: 0 } }));
    const expired = await createKey(admin, { scopes: ["query", "jobs:write"], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, expired.id).run();
    memory.keys.clear();
    await env.KEY_CACHE.delete(`key:${await hashKey(expired.key)}`);
    const dormant = await tenantWithAdmin(platform);
    const dormantKey = await createKey(dormant.admin, { scopes: ["query", "jobs:write"] });
    await call(`/v1/tenants/${dormant.tenant.id}`, { method: "PATCH", key: platform, body: { active: false } });

    const states: [string, string, number, string][] = [
      ["revoked", revoked.key, 401, "revoked-key"],
      ["disabled", disabled.key, 401, "disabled-key"],
      ["rolled past grace", rolled.key, 401, "expired-key"],
      ["expired", expired.key, 401, "expired-key"],
      ["inactive tenant", dormantKey.key, 403, "tenant-inactive"],
    ];
    for (const [state, key, status, kind] of states) {
      for (const [method, path, body] of FORWARDED) {
        await expectRefusedBeforeForwarding(
          `${state} on ${method} ${path}`,
          () => call(path, { method, key, body, headers: { "Idempotency-Key": crypto.randomUUID() } }),
          status,
          `https://keygate.dev/problems/${kind}`,
          [key],
        );
      }
    }
    // The rolled key's successor carries on, as the same key id.
    const seen = await json(await call("/v1/echo/x", { key: successor.key }));
    expect(seen.identity.keyId).toBe(rolled.id);
  });

  it("a rolled key within its grace period still works, and the origin sees one identity for both secrets", async () => {
    const k = await createKey(admin, { scopes: ["query"] });
    const next = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 600 } }));
    const old = await json(await call("/v1/echo/x", { key: k.key }));
    const fresh = await json(await call("/v1/echo/x", { key: next.key }));
    expect(old.identity.keyId).toBe(k.id);
    expect(fresh.identity.keyId).toBe(k.id);
  });
});

describe("a tenant deactivated mid-traffic", () => {
  it("concurrent requests around the change: each is served or 403 tenant-inactive; everything that starts after it returns is refused", async () => {
    const t = await tenantWithAdmin(platform, { plan: "enterprise" });
    const busy = await createKey(t.admin, { scopes: ["query", "jobs:write", "jobs:read"] });
    expect((await call("/v1/echo/warm", { key: busy.key })).status).toBe(200);
    const sent: { at: number }[] = [];
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
      sent.push({ at: Date.now() });
      return real(input, init);
    });
    let deactivatedAt = Infinity;
    const results: { started: number; status: number; type?: string }[] = [];
    let stop = false;
    const client = async (i: number) => {
      for (let n = 0; !stop && n < 200; n++) {
        const started = Date.now();
        const [method, path, body] = FORWARDED[(i + n) % FORWARDED.length]!;
        const res = await call(path, { method, key: busy.key, body });
        const text = await res.text();
        results.push({ started, status: res.status, type: res.status >= 400 ? JSON.parse(text).type : undefined });
        if (started > deactivatedAt) stop = true;
      }
    };
    const workers = Array.from({ length: 6 }, (_, i) => client(i));
    // Let traffic run first, then change the tenant while it is in flight.
    for (let waited = 0; results.length < 30 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    const patch = await call(`/v1/tenants/${t.tenant.id}`, { method: "PATCH", key: platform, body: { active: false } });
    deactivatedAt = Date.now();
    expect(patch.status).toBe(200);
    await Promise.all(workers);
    vi.restoreAllMocks();

    expect(results.length).toBeGreaterThanOrEqual(30);
    for (const r of results) {
      expect([200, 202, 403], JSON.stringify(r)).toContain(r.status);
      if (r.status === 403) expect(r.type).toBe("https://keygate.dev/problems/tenant-inactive");
    }
    const after = results.filter((r) => r.started > deactivatedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.status === 403)).toBe(true);
    expect(results.some((r) => r.status !== 403)).toBe(true); // traffic really ran before the change
    // Nothing reached an origin, and no job was created, after the change returned.
    expect(sent.filter((s) => s.at > deactivatedAt)).toEqual([]);
    const late = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ? AND created_at > ?").bind(busy.id, deactivatedAt).first<{ n: number }>();
    expect(late!.n).toBe(0);
    // Reactivation restores it.
    await call(`/v1/tenants/${t.tenant.id}`, { method: "PATCH", key: platform, body: { active: true } });
    expect((await call("/v1/echo/back", { key: busy.key })).status).toBe(200);
  }, 30_000);
});

describe("key material never stored or echoed", () => {
  it("a key pasted into an ingest job's source is refused (422), not stored and echoed", async () => {
    const res = await call("/v1/ingest", { key: client.key, body: { source: `from ${admin}`, payload: 1 } });
    const text = await res.text();
    expect(text).not.toContain(admin.slice(8));
    expect(res.status).toBe(422);
  });

  it("a key in a job event's error text is refused, not stored and shown", async () => {
    const reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
    const job = (await json(await call("/v1/ingest", { key: client.key, body: { source: "s", payload: 1 } }))).id;
    await call(`/v1/jobs/${job}/events`, { key: reporter, body: { status: "failed", error: `bad key ${admin}` } });
    expect(await (await call(`/v1/jobs/${job}`, { key: client.key })).text()).not.toContain(admin.slice(8));
  });

  it("a key sent as Idempotency-Key is refused (400) and never reaches D1", async () => {
    const res = await call("/v1/ingest", { key: client.key, body: { source: "s", payload: 1 }, headers: { "Idempotency-Key": admin } });
    const { results } = await env.DB.prepare("SELECT key FROM idempotency_keys").all<{ key: string }>();
    expect(results.map((r) => r.key)).not.toContain(admin);
    expect(res.status).toBe(400);
  });
});

// KV failing, the key's Durable Object failing, the signing key missing. KV is only a cache: any
// failure falls through to D1 and the request succeeds. The key's object decides admission: when it
// cannot answer (error or 2 s without an answer) the request is refused with 503
// temporary-reduced-capacity before anything reaches an origin, unless its route fails open.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { memory } from "../../src/keys/lookup.ts";
import { hashKey } from "../../src/keys/hash.ts";
import { resetLeases } from "../../src/limits/leases.ts";
import { call, createKey, json, platformKey, storeCounts, tenantWithAdmin } from "../support/gateway.ts";
import { faultyKV, faultyLimiter, send, withEnv, settleBackground } from "../support/faults.ts";
import { captureLogs, PROBLEM_STATUS } from "../support/hostile.ts";

afterAll(settleBackground);

const logs = captureLogs();
let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** Counts the requests the Worker sends to origins while `fn` runs. */
async function originCalls<T>(fn: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const sent: string[] = [];
  const real = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Request(input, init).url);
    return real(input, init);
  });
  try {
    return { result: await fn(), sent };
  } finally {
    spy.mockRestore();
  }
}

async function problemOf(res: Response, status: number, type: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.type).toBe(type);
  expect(PROBLEM_STATUS.get(type)).toBe(status);
  expect(text).not.toMatch(/injected|Durable Object reset|SyntaxError|\.ts:\d/);
  return body;
}

const cold = () => {
  memory.keys.clear();
  memory.tenants.clear();
  resetLeases();
};

describe("KV failing: lookups fall through to D1 and the request succeeds", () => {
  for (const [what, get] of [
    ["KV reads throw", "fail"],
    ["KV returns something that is not JSON", "corrupt"],
    ["KV is slow (300 ms)", { delayMs: 300 }],
  ] as const) {
    it(what, async () => {
      const { admin } = await tenantWithAdmin(platform);
      cold();
      const kv = faultyKV({ get });
      const res = await send(withEnv({ KEY_CACHE: kv.kv }), "/v1/auth/me", { key: admin });
      expect(res.status).toBe(200);
      expect(kv.gets).toBeGreaterThan(0);
      expect(storeCounts(res)["d1-read"]).toBeGreaterThanOrEqual(1);
      if (get === "fail" || get === "corrupt") expect(logs.lines.some((l) => l.includes('"event":"kv.read_failed"'))).toBe(true);
    });
  }

  it("KV writes failing: the request still succeeds, the failure is logged, the next one is served from memory", async () => {
    const { admin } = await tenantWithAdmin(platform);
    cold();
    const kv = faultyKV({ put: "fail" });
    const e = withEnv({ KEY_CACHE: kv.kv });
    expect((await send(e, "/v1/permission-sets", { key: admin })).status).toBe(200);
    const until = Date.now() + 2000;
    while (!logs.lines.some((l) => l.includes('"event":"kv.write_failed"')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(logs.lines.some((l) => l.includes('"event":"kv.write_failed"'))).toBe(true);
    const again = await send(e, "/v1/permission-sets", { key: admin });
    expect(again.status).toBe(200);
    expect(storeCounts(again)["d1-read"]).toBe(0);
  });

  it("an admin change goes through although KV cannot be written; this isolate enforces it at once", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/echo/x", { key: k.key })).status).toBe(200);
    const e = withEnv({ KEY_CACHE: faultyKV({ put: "fail" }).kv });
    expect((await send(e, `/v1/keys/${k.id}/revoke`, { key: admin, body: {} })).status).toBe(200);
    expect((await call("/v1/echo/x", { key: k.key })).status).toBe(401);
  });

  it("a KV entry carrying another key's record grants nothing", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const weak = await createKey(admin, { scopes: ["jobs:read"] });
    // A poisoned (or corrupted) cache entry: the platform key's record under the weak key's hash.
    expect((await call("/v1/auth/me", { key: platform })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50)); // the KV fill runs in waitUntil
    const platformRecord = await env.KEY_CACHE.get(`key:${await hashKey(platform)}`, "json");
    expect(platformRecord).toMatchObject({ scopes: ["platform"] });
    cold();
    const e = withEnv({ KEY_CACHE: faultyKV({ get: { value: platformRecord } }).kv });
    const res = await send(e, "/v1/tenants", { key: weak.key });
    expect(res.status).toBe(401);
    expect((await json(res)).type).toBe("https://keygate.dev/problems/unknown-key");
    memory.keys.clear();
  });

  it("a KV read that does not answer falls through to D1 within a few seconds", async () => {
    const { admin } = await tenantWithAdmin(platform);
    cold();
    const e = withEnv({ KEY_CACHE: faultyKV({ get: "hang" }).kv });
    const res = await Promise.race([
      send(e, "/v1/auth/me", { key: admin }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 3 s")), 3000)),
    ]);
    expect(res.status).toBe(200);
  }, 10_000);
});

describe("the key's Durable Object failing", () => {
  it("a forwarded route fails closed: 503 temporary-reduced-capacity, Retry-After, and the origin never called", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query", "jobs:write"] });
    expect((await call("/v1/auth/me", { key: k.key })).status).toBe(200);
    resetLeases();
    const e = withEnv({ KEY_LIMITER: faultyLimiter({ acquire: "fail" }) });
    const jobsBefore = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ?").bind(k.id).first<{ n: number }>();
    const { result, sent } = await originCalls(async () => [
      await send(e, "/v1/echo/x", { key: k.key }),
      await send(e, "/v1/query", { key: k.key, body: { q: 1 } }),
      await send(e, "/v1/ingest", { key: k.key, body: { source: "s", payload: 1 } }),
    ]);
    for (const res of result) {
      expect(res.headers.get("retry-after")).toBe("1");
      await problemOf(res, 503, "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity");
    }
    expect(sent).toEqual([]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ?").bind(k.id).first<{ n: number }>()).toEqual(jobsBefore);
  });

  it("an object that does not answer is given up on after about 2 s: 503", async () => {
    const { admin } = await tenantWithAdmin(platform);
    resetLeases();
    const t0 = Date.now();
    const res = await send(withEnv({ KEY_LIMITER: faultyLimiter({ acquire: "hang" }) }), "/v1/permission-sets", { key: admin });
    const took = Date.now() - t0;
    await problemOf(res, 503, "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity");
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(4000);
  }, 10_000);

  it("a forwarded route configured to fail open is forwarded (signed, verified) without rate-limit fields", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    resetLeases();
    const routes = [{ name: "open", path: "/v1/echo/open", methods: ["GET"], origin: "ORIGIN_ECHO_URL", scope: "query", failOpen: true }, ...(env.PROXY_ROUTES as unknown as object[])];
    const e = withEnv({ KEY_LIMITER: faultyLimiter({ acquire: "fail", report: "fail" }), PROXY_ROUTES: routes as never });
    const { result: open, sent } = await originCalls(() => send(e, "/v1/echo/open", { key: k.key }));
    expect(sent).toHaveLength(1); // (and the spy that sees nothing elsewhere does see this)
    expect(open.status).toBe(200);
    expect((await json(open)).verified).toBe(true);
    expect(open.headers.get("ratelimit")).toBeNull();
    // …while the routes that do not say so stay closed under the same failure.
    expect((await send(e, "/v1/echo/closed", { key: k.key })).status).toBe(503);
  });

  it("a refusal that never reaches admission keeps its own answer when the object cannot be read", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { scopes: ["jobs:read"] });
    resetLeases();
    const e = withEnv({ KEY_LIMITER: faultyLimiter({ acquire: "fail" }) });
    await problemOf(await send(e, "/v1/nowhere", { key: admin }), 404, "https://keygate.dev/problems/not-found");
    await problemOf(await send(e, "/v1/keys", { key: reader.key }), 403, "https://keygate.dev/problems/insufficient-scope");
  });

  it("a revocation whose push to the object fails still holds: at once here, and from KV in a cold isolate", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    expect((await call("/v1/echo/x", { key: k.key })).status).toBe(200);
    const e = withEnv({ KEY_LIMITER: faultyLimiter({ configure: "fail" }) });
    expect((await send(e, `/v1/keys/${k.id}/revoke`, { key: admin, body: {} })).status).toBe(200);
    expect(logs.lines.some((l) => l.includes('"event":"limiter.configure_failed"'))).toBe(true);
    expect((await call("/v1/echo/x", { key: k.key })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 50)); // the KV overwrite runs in waitUntil
    cold();
    const res = await call("/v1/echo/x", { key: k.key });
    expect(res.status).toBe(401);
    expect((await json(res)).type).toBe("https://keygate.dev/problems/revoked-key");
  });
});

describe("the signing key missing or broken", () => {
  it("forwarding and the JWKS answer 503 signing-unavailable, nothing unsigned leaves, an ingest job is failed", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query", "jobs:write"] });
    for (const SIGNING_KEY of ["", "{not json", JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "AAAA", d: "AAAA", kid: "k" })]) {
      const e = withEnv({ SIGNING_KEY } as Partial<Env>);
      const { result, sent } = await originCalls(async () => [await send(e, "/v1/echo/x", { key: k.key }), await send(e, "/v1/ingest", { key: k.key, body: { source: "s", payload: 1 } })]);
      expect(sent).toEqual([]);
      const [fwd, ingest] = result as [Response, Response];
      await problemOf(fwd, 503, "https://keygate.dev/problems/signing-unavailable");
      const problem = await problemOf(ingest, 503, "https://keygate.dev/problems/signing-unavailable");
      const job = await env.DB.prepare("SELECT status, error FROM jobs WHERE id = ?").bind(problem.job_id).first<{ status: string; error: string }>();
      expect(job).toEqual({ status: "failed", error: "could not be forwarded: signing-unavailable" });
      await problemOf(await send(e, "/.well-known/jwks.json"), 503, "https://keygate.dev/problems/signing-unavailable");
    }
  });
});

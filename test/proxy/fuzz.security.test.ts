// Property-based: the forwarded routes (the route table) and ingest jobs under hostile input:
// bodies of every shape and size, content types, methods, query strings, Idempotency-Key and
// X-Request-Id values, and identity / signature / credential headers smuggled in any letter case
// and number. Besides the shared invariants: every request that reaches an origin verifies there
// (origin/verify.ts in the Node echo origin, keygate_verify.py in the Python one) and carries only
// keygate's identity; every 202 made exactly one job; every job a refused request left is failed.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/gateway.ts";
import {
  base62,
  captureLogs,
  contentTypeArb,
  expectEveryTableWatched,
  fc,
  Harness,
  isFaultRoute,
  isOriginAnswer,
  jsonBodyArb,
  keyFixture,
  methodArb,
  operations,
  PROBLEM_STATUS,
  queryArb,
  report,
  secretsOf,
  UNLIMITED,
  type Case,
  type Fixture,
} from "../support/hostile.ts";

const logs = captureLogs();
const started = Date.now();
let fx: Fixture;
let doc: any;
let client: { key: string; id: string; tenantId: string };
let reader: { key: string };
let secrets: string[];
const harnesses: [string, Harness][] = [];
afterAll(() => {
  for (const [name, h] of harnesses) report(logs.print, name, h, started);
});

beforeAll(async () => {
  fx = await keyFixture();
  ({ doc } = await operations());
  // Above the tenant's limits: only the platform key may make them.
  client = await createKey(fx.platform, { tenantId: fx.tenant.id, scopes: ["query", "jobs:write", "jobs:read"], ...UNLIMITED });
  reader = await createKey(fx.platform, { tenantId: fx.tenant.id, scopes: ["jobs:read"], ...UNLIMITED });
  secrets = secretsOf([fx.platform, fx.admin.key, client.key, reader.key, ...fx.refused.map((r) => r.key)]);
  await expectEveryTableWatched();
}, 30_000);

// Names a client must never get through to an origin, each sent in several letter cases.
const SMUGGLED = [
  "x-keygate-key-id",
  "x-keygate-tenant-id",
  "x-keygate-scopes",
  "x-keygate-environment",
  "x-keygate-job-id",
  "x-keygate-anything",
  "signature",
  "signature-input",
  "content-digest",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-real-ip",
  "true-client-ip",
  "cookie",
  "proxy-authorization",
  "cf-ray",
  "cf-ipcountry",
];
const casing = (name: string) =>
  fc.constantFrom(
    name,
    name.toUpperCase(),
    name.replace(/(^|-)([a-z])/g, (_, d: string, ch: string) => d + ch.toUpperCase()),
    [...name].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join(""),
  );
const smuggledArb: fc.Arbitrary<[string, string][]> = fc
  .array(fc.tuple(fc.constantFrom(...SMUGGLED).chain(casing), fc.integer({ min: 1, max: 3 }), base62(1, 12)), { maxLength: 6 })
  .map((list) => list.flatMap(([name, times, tag]) => Array.from({ length: times }, (_, i): [string, string] => [name, `forged-${tag}-${i}`])));

type Route = { path: string; methods: string[]; types: string[]; job: boolean; python: boolean };
const ROUTES: Route[] = [
  { path: "/v1/echo", methods: ["GET", "POST", "PUT", "DELETE"], types: ["application/json", "text/plain", "application/octet-stream"], job: false, python: false },
  { path: "/v1/echo/costly", methods: ["GET"], types: ["application/json"], job: false, python: false },
  { path: "/v1/query", methods: ["POST"], types: ["application/json"], job: false, python: true },
  { path: "/v1/ingest", methods: ["POST"], types: ["application/json"], job: true, python: false },
  { path: "/v1/ingest/refuse", methods: ["POST"], types: ["application/json"], job: true, python: false },
];

const IDEMPOTENCY_KEYS = ["k1", "k2", '"quoted"', "x".repeat(255), "x".repeat(256), "", " ", "with space", "\x7f", "ü-not-ascii"];

function proxyCases(): fc.Arbitrary<Case & { route: Route; sent: { smuggled: boolean; text: string | null } }> {
  const ingestSchema = doc.components.schemas.IngestRequest;
  return fc.constantFrom(...ROUTES).chain((route) =>
    fc
      .record({
        caller: fc.oneof({ weight: 9, arbitrary: fc.constant("client") }, { weight: 1, arbitrary: fc.constant("reader") }),
        method: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: methodArb }),
        sub: fc.oneof(
          { weight: 5, arbitrary: fc.constant("") },
          { weight: 2, arbitrary: fc.array(fc.oneof(base62(1, 10), fc.constantFrom("%2e%2e", "%2F", "..", "%00", "a%20b", "ü", "x;y")), { minLength: 1, maxLength: 3 }).map((s) => "/" + s.join("/")) },
        ),
        query: fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 2, arbitrary: queryArb([]) }),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom<string | null>(...route.types) },
          { weight: 2, arbitrary: contentTypeArb },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        body: fc.oneof(
          { weight: 5, arbitrary: route.job ? jsonBodyArb(ingestSchema, doc) : fc.json({ maxDepth: 4 }) },
          { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 2000 }) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4000 }) },
          { weight: 1, arbitrary: fc.constantFrom(0, 65_536, 65_537, 262_145, 1_048_577).map((n) => "x".repeat(n)) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        smuggled: smuggledArb,
        connection: fc.option(fc.constantFrom("close", "X-Hop", "keep-alive, X-Hop", "x-keygate-key-id", "Authorization")),
        requestId: fc.option(fc.oneof(base62(1, 40), fc.string({ unit: "binary-ascii", maxLength: 40 }), base62(129, 140), fc.constant(client.key))),
        idempotency: route.job
          ? fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...IDEMPOTENCY_KEYS, client.key) }, { weight: 1, arbitrary: base62(1, 40) })
          : fc.constant(null),
      })
      .filter((x) => !isFaultRoute(new URL("https://gw.test" + route.path + x.sub).pathname))
      .map((x) => {
        const key = x.caller === "client" ? client.key : reader.key;
        const headers: [string, string][] = [["Authorization", `Bearer ${key}`], ...x.smuggled];
        if (x.contentType !== null) headers.push(["content-type", x.contentType]);
        // X-Hop is hop-by-hop only when Connection names it; then it must not reach the origin.
        if (x.connection !== null) headers.push(["connection", x.connection]);
        if (x.connection?.includes("X-Hop")) headers.push(["x-hop", "forged-hop"]);
        if (x.requestId !== null) headers.push(["x-request-id", x.requestId.replace(/[\0\r\n]/g, "")]);
        if (x.idempotency !== null) headers.push(["idempotency-key", x.idempotency]);
        const text = typeof x.body === "string" && !["GET", "HEAD"].includes(x.method.toUpperCase()) ? x.body : null;
        return {
          method: x.method,
          target: route.path + x.sub + x.query,
          headers,
          body: x.body,
          label: `${route.path} as ${x.caller}`,
          route,
          sent: { smuggled: x.smuggled.length > 0 || x.connection !== null, text },
        };
      }),
  );
}

type ProxyCase = Case & { route: Route; sent: { smuggled: boolean; text: string | null } };

/** What an origin saw: verified, with keygate's identity only, and nothing the client smuggled. */
function checkWhatTheOriginSaw(c: ProxyCase, body: string) {
  const seen = JSON.parse(body);
  expect(seen.verified, `${c.label}: ${body.slice(0, 300)}`).toBe(true);
  const names: string[] = seen.rawHeaders ? seen.rawHeaders.filter((_: string, i: number) => i % 2 === 0).map((n: string) => n.toLowerCase()) : Object.keys(seen.headers);
  const text = JSON.stringify(seen.rawHeaders ?? seen.headers);
  expect(text, c.label).not.toContain("forged");
  for (const name of ["authorization", "x-api-key", "cookie", "proxy-authorization"]) expect(names, c.label).not.toContain(name);
  for (const name of ["x-keygate-key-id", "x-keygate-tenant-id", "x-keygate-scopes", "x-keygate-environment", "x-request-id", "signature", "signature-input"]) {
    expect(names.filter((n) => n === name), `${name} in ${c.label}`).toHaveLength(1);
  }
  const identity = seen.identity;
  expect(identity.keyId ?? identity.key_id).toBe(client.id);
  expect(identity.tenantId ?? identity.tenant_id).toBe(client.tenantId);
  if (c.sent.text !== null && c.sent.text.length > 0 && seen.body !== undefined && !/[\ud800-\udfff\ufffd]/.test(c.sent.text)) expect(seen.body).toBe(c.sent.text);
}

describe("fuzz: forwarded routes and ingest jobs", () => {
  it("verified at the origin, nothing smuggled, every job accounted for, documented answers only", async () => {
    const h = new Harness(
      {
        secrets,
        mayWriteWhenRefused: (c, res, body) => {
          const route = (c as ProxyCase).route;
          if (!route.job) return [];
          const allowed: string[] = [];
          // A job route records the job before forwarding: refused by the origin, it stays, failed.
          if (res.headers.get("x-keygate-job-id") || body.includes('"job_id"')) allowed.push("jobs");
          // Idempotency-Key: a 4xx is recorded so that a retry gets the same answer.
          if (c.headers.some(([n]) => n.toLowerCase() === "idempotency-key")) allowed.push("idempotency_keys");
          return allowed;
        },
        extra: async (c0, res, body, changed) => {
          const c = c0 as ProxyCase;
          const head = c.method.toUpperCase() === "HEAD";
          if (isOriginAnswer(res) && res.headers.get("content-type")?.includes("json") && !c.route.job && !head) checkWhatTheOriginSaw(c, body);
          if (res.status === 202 && res.headers.get("idempotent-replayed") !== "true") {
            expect(changed, c.label).toContain("jobs");
            const job = JSON.parse(body);
            expect(job.status).toBe("pending");
            expect(res.headers.get("x-keygate-job-id")).toBe(job.id);
          }
          const jobId = res.headers.get("x-keygate-job-id");
          if (jobId && res.status >= 400 && res.headers.get("idempotent-replayed") !== "true") {
            const row = await env.DB.prepare("SELECT status, error FROM jobs WHERE id = ?").bind(jobId).first<{ status: string; error: string }>();
            expect(row, `job ${jobId} lost`).not.toBeNull();
            expect(row!.status).toBe("failed");
            expect(row!.error).toBeTruthy();
          }
        },
      },
      logs,
    );
    harnesses.push(["forwarded routes", h]);
    await fc.assert(
      fc.asyncProperty(proxyCases(), async (c) => void (await h.run(c))),
      { numRuns: 2300 },
    );
    expect(h.stats.unsendable, h.summary()).toBeLessThan(h.stats.sent * 0.05);
    for (const status of [200, 202, 400, 403, 405, 413, 415, 422]) expect(h.stats.byStatus.get(status) ?? 0, `${status}: ${h.summary()}`).toBeGreaterThan(0);
  }, 180_000);

  it("the test origins' own failures come back as the documented gateway problems (502, 504)", async () => {
    let sent = 0;
    const expectations: [string, string, number, string][] = [
      ["GET", "/v1/down", 502, "origin-unreachable"],
      ["POST", "/v1/down", 502, "origin-unreachable"],
      ["GET", "/v1/echo/slow", 504, "origin-timeout"],
    ];
    for (const [method, path, status, kind] of expectations) {
      await fc.assert(
        fc.asyncProperty(plainQuery, fc.option(fc.json({ maxDepth: 2 })), async (query, body) => {
          const res = await fetchRaw(method, path + query, client.key, method === "POST" ? body : null);
          sent++;
          expect(res.status, `${method} ${path}${query}`).toBe(status);
          expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
          const problem = await res.json<any>();
          expect(problem.type).toBe(`https://keygate.dev/problems/${kind}`);
          expect(PROBLEM_STATUS.get(problem.type)).toBe(status);
          expect(problem.gateway).toBe(true);
          expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|TypeError|Error:/);
        }),
        { numRuns: path.includes("slow") ? 6 : 25 },
      );
    }
    logs.print(`[hardening] origin failures: sent ${sent}, each the documented 502/504`);
  }, 60_000);
});

/** A query string without anything credential-like (that would be a 400 before forwarding). */
const plainQuery = fc
  .array(fc.tuple(base62(1, 8), fc.string({ unit: "grapheme-ascii", maxLength: 20 })), { maxLength: 4 })
  .map((pairs) => (pairs.length ? "?" + pairs.map(([k, v]) => `q${k}=${encodeURIComponent(v)}`).join("&") : ""));

async function fetchRaw(method: string, target: string, key: string, body: string | null): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${key}`, "cf-connecting-ip": `fd01::${Math.floor(Math.random() * 1e6).toString(16)}` };
  if (body !== null) headers["content-type"] = "application/json";
  return exports.default.fetch(new Request("https://gw.test" + target, { method, headers, body }));
}

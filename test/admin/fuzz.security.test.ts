// Property-based: every admin, job and public operation in /openapi.json, called with valid keys of
// every kind (platform, tenant admin, reader, reporter) and hostile everything else: ids (random,
// of the other tenant, traversal, encoded, huge), query strings, methods, content types and JSON
// bodies shaped by the operation's own schema (plus deep nesting, huge bodies, wrong types,
// duplicated members, __proto__). Never a 5xx; every error a documented problem; no key echoed;
// nothing written to D1 for a refused request; nothing polluted in the isolate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, tenantWithAdmin } from "../support/gateway.ts";
import {
  base62,
  captureLogs,
  contentTypeArb,
  expectEveryTableWatched,
  fc,
  Harness,
  hostileSegmentArb,
  jsonBodyArb,
  keyFixture,
  methodArb,
  operations,
  problemType,
  queryArb,
  report,
  secretsOf,
  UNLIMITED,
  encode,
  type Case,
  type Fixture,
  type Operation,
} from "../support/hostile.ts";

const logs = captureLogs();
const started = Date.now();
let fx: Fixture;
let doc: any;
let ops: Operation[];
let callers: { name: string; key: string }[];
let ids: string[];
let tenantIds: string[];
let secrets: string[];
let h: Harness;

beforeAll(async () => {
  fx = await keyFixture();
  ({ doc, ops } = await operations());
  // Keys above their tenant's limits are made by the platform key, the only one that may.
  const reader = await createKey(fx.platform, { tenantId: fx.tenant.id, permissionSet: "read_only", ...UNLIMITED });
  const reporter = await createKey(fx.platform, { scopes: ["jobs:report"], ...UNLIMITED });
  const star = await createKey(fx.platform, { scopes: ["*"], ...UNLIMITED });
  const writer = await createKey(fx.platform, { tenantId: fx.other.tenant.id, permissionSet: "ingest_pipeline", ...UNLIMITED });
  callers = [
    { name: "platform", key: fx.platform },
    { name: "star", key: star.key },
    { name: "tenant-admin", key: fx.admin.key },
    { name: "other-admin", key: fx.other.admin.key },
    { name: "reader", key: reader.key },
    { name: "reporter", key: reporter.key },
    { name: "writer", key: writer.key },
  ];
  // Things to aim at: keys and jobs of both tenants (never the callers themselves, so the run
  // keeps its footing), the tenants, and ids that exist nowhere.
  const victims = [];
  for (let i = 0; i < 4; i++) victims.push(await createKey(fx.admin.key, { scopes: ["query"] }), await createKey(fx.other.admin.key, { scopes: ["jobs:read"] }));
  const jobs = [];
  for (let i = 0; i < 3; i++) {
    const res = await call("/v1/ingest", { key: fx.admin.key, body: { source: `fuzz-${i}`, payload: { i } } });
    expect(res.status).toBe(202);
    jobs.push((await json(res)).id);
    const other = await call("/v1/ingest", { key: writer.key, body: { source: `fuzz-other-${i}`, payload: [i] } });
    jobs.push((await json(other)).id);
  }
  // Tenants to aim at are victims too: deactivating a caller's tenant would end the run's coverage.
  const victimTenants = [(await tenantWithAdmin(fx.platform)).tenant.id, (await tenantWithAdmin(fx.platform)).tenant.id];
  ids = [...victims.map((v) => v.id), ...jobs, ...victimTenants, ...fx.refused.map((r) => r.id)];
  tenantIds = [fx.tenant.id, fx.other.tenant.id, ...victimTenants];
  secrets = secretsOf([...callers.map((c) => c.key), ...victims.map((v) => v.key), ...fx.refused.map((r) => r.key)]);
  h = new Harness(
    {
      secrets,
      // A job route's refused requests may leave their job (failed, never lost) and their
      // Idempotency-Key record (a 4xx is replayed to a retry); job routes are in test/proxy/fuzz.security.test.ts.
      mayWriteWhenRefused: () => [],
    },
    logs,
  );
  await expectEveryTableWatched();
}, 60_000);

afterAll(() => report(logs.print, "admin and jobs", h, started));

const CODE_TAGS = new Set(["Public", "Auth", "Tenants", "Keys", "Audit", "Jobs", "Usage", "Analytics", "Metrics", "Alerts", "Operators", "Realtime", "MCP"]);

function opCases(): fc.Arbitrary<Case> {
  // The route table's routes (forwarded, and WebSocket ones) have their own fuzz: test/proxy.
  const tableRoute = (o: Operation) => {
    const op = doc.paths[o.path][o.method.toLowerCase()];
    return op.tags?.includes("Forwarded") || op["x-keygate-websocket"] === true;
  };
  const own = ops.filter((o) => !o.path.startsWith("/v1/") || !tableRoute(o));
  expect(own.length).toBeGreaterThan(15);
  for (const o of own) expect(CODE_TAGS.has(doc.paths[o.path][o.method.toLowerCase()].tags?.[0]), o.operationId).toBe(true);
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("key_", "ten_", "job_", "opr_"), base62(8, 40)).map(([p, r]) => p + r) },
    { weight: 3, arbitrary: hostileSegmentArb },
  );
  return fc.constantFrom(...own).chain((op) =>
    fc
      .record({
        caller: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...callers.slice(0, 1), callers[2]!) },
          { weight: 4, arbitrary: fc.constantFrom(...callers) },
        ),
        where: fc.constantFrom("bearer", "bearer", "bearer", "x-api-key", "both"),
        id,
        method: fc.oneof({ weight: 8, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: methodArb }),
        query: fc.oneof(
          { weight: 3, arbitrary: opQuery(op) },
          { weight: 1, arbitrary: queryArb(ids) },
        ),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constant<string | null>("application/json") },
          { weight: 2, arbitrary: contentTypeArb },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        body: op.bodySchema
          ? fc.oneof({ weight: 9, arbitrary: jsonBodyArb(op.bodySchema, doc) }, { weight: 1, arbitrary: fc.constant(null) })
          : fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) }),
        suffix: fc.oneof({ weight: 12, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom("/", "//", "/x", "/..", "%2F", ";a=b", "/%2e%2e/revoke") }),
      })
      .map(({ caller, where, id: idValue, method, query, contentType, body, suffix }): Case => {
        const headers: [string, string][] = [];
        if (where !== "x-api-key") headers.push(["Authorization", `Bearer ${caller.key}`]);
        if (where !== "bearer") headers.push(["X-API-Key", caller.key]);
        if (contentType !== null) headers.push(["content-type", contentType]);
        return { method, target: op.path.replace("{id}", idValue) + suffix + query, headers, body, label: `${op.operationId} as ${caller.name}` };
      }),
  );
}

/** The operation's own query parameters, with values that are right, wrong or hostile. */
function opQuery(op: Operation): fc.Arbitrary<string> {
  if (op.query.length === 0) return fc.constant("");
  const value = fc.oneof(
    fc.constantFrom("1", "20", "100", "101", "0", "-5", "abc", "true", "false", "live", "test", "pending", "failed", "key.create", "key.revoke", "2026-01-01", "2026-02-30", "9999-12-31", "", "2030-01-01"),
    fc.constantFrom(...ids, ...tenantIds),
    base62(0, 300),
    hostileSegmentArb,
  );
  return fc
    .array(fc.tuple(fc.constantFrom(...op.query), value), { maxLength: op.query.length + 1 })
    .map((pairs) => (pairs.length ? "?" + pairs.map(([k, v]) => `${k}=${encode(v)}`).join("&") : ""));
}

describe("fuzz: every admin, job and public operation with valid keys and hostile input", () => {
  it("never a 5xx, always a documented problem, no key echoed, nothing written when refused", async () => {
    await fc.assert(
      fc.asyncProperty(opCases(), async (c) => void (await h.run(c))),
      { numRuns: 3700 },
    );
    expect(h.stats.unsendable, h.summary()).toBeLessThan(h.stats.sent * 0.05);
    // Reached the handlers, not only the gates in front of them.
    for (const kind of ["validation-failed", "not-found", "insufficient-scope", "unsupported-media-type", "bad-request", "invalid-request"] as const) {
      expect(h.stats.byType.get(problemType(kind)) ?? 0, `${kind} never produced: ${h.summary()}`).toBeGreaterThan(0);
    }
    expect(h.stats.byStatus.get(200) ?? 0, h.summary()).toBeGreaterThan(100);
  }, 180_000);
});

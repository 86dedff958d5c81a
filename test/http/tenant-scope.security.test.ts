// Tenant isolation, table-driven: one probe per operation in /openapi.json, each run in both
// directions (tenant A's keys against tenant B's things, and B's against A's). An operation
// without a probe fails the test, so a new route has to say how it keeps tenants apart.
// test/admin/*.security.test.ts and test/jobs/jobs.security.test.ts hold the deeper per-resource
// cases; this adds what they leave out (usage, audit and list filters, cursors, forwarded routes).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { addSample, type Rollup } from "../../src/analytics/rollup.ts";
import { rollupStatements } from "../../src/analytics/rollup-statements.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { captureLogs, operations, type Operation } from "../support/hostile.ts";
import { CURRENT, mcpClient, toolJson } from "../support/mcp.ts";
import { nextMessages, openSocket } from "../support/realtime.ts";

captureLogs();

type Side = {
  name: string;
  tenantId: string;
  admin: string;
  adminId: string;
  victim: { id: string; key: string };
  worker: { id: string; key: string };
  job: string;
  marker: string;
  alert: string;
};

let ops: Operation[];
let platform: string;
let A: Side;
let B: Side;

async function side(name: string): Promise<Side> {
  const { tenant, admin, adminId } = await tenantWithAdmin(platform);
  const victim = await createKey(admin, { scopes: ["query"], description: `${name}'s victim` });
  const worker = await createKey(admin, { scopes: ["jobs:read", "jobs:write", "jobs:report", "query"] });
  const job = (await json(await call("/v1/ingest", { key: worker.key, body: { source: `${name}-source`, payload: 1 } }))).id;
  // Usage as the keys' objects would flush it, with a route name only this tenant has.
  const marker = `GET /v1/marker-${name}-${crypto.randomUUID().slice(0, 8)}`;
  const day = new Date().toISOString().slice(0, 10);
  await env.DB.prepare(
    "INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, refused, status_2xx, status_3xx, status_4xx, status_5xx) VALUES (?, ?, ?, ?, 1000, 0, 1000, 0, 0, 0)",
  )
    .bind(victim.id, tenant.id, day, marker)
    .run();
  const rows: Rollup = {};
  addSample(rows, { at: Date.now(), route: marker, outcome: "valid", status: 200, latencyMs: 3, cost: 1 });
  await env.DB.batch(rollupStatements(env.DB, { tenantId: tenant.id, keyId: victim.id }, rows));
  const alert = (await json(await call("/v1/alerts", { key: admin, body: { name: `${name}-rule`, metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: "http://127.0.0.1:9/hook" } }))).id;
  return { name, tenantId: tenant.id, admin, adminId, victim, worker, job, marker, alert };
}

beforeAll(async () => {
  ({ ops } = await operations());
  platform = await platformKey();
  A = await side("a");
  B = await side("b");
});

async function pages(path: string, key: string): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  const sep = path.includes("?") ? "&" : "?";
  do {
    const res = await call(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key });
    expect(res.status, path).toBe(200);
    const page: any = await json(res);
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

const status = async (path: string, key: string, init: { method?: string; body?: unknown } = {}) => (await call(path, { key, ...init })).status;

/** For each operation: what `me` can learn or do about `them`. */
const PROBES: Record<string, (me: Side, them: Side) => Promise<void>> = {
  // Public: nothing of any tenant in them.
  health: async () => {},
  ready: async () => {},
  docs: async () => {},
  jwks: async () => {},
  getCaller: async (me) => {
    const who = await json(await call("/v1/auth/me", { key: me.victim.key }));
    expect(who.tenant.id).toBe(me.tenantId);
    expect(who.key.id).toBe(me.victim.id);
  },
  listPermissionSets: async () => {},
  // Platform scope only (test/http/stages/scope.security.test.ts): a tenant admin is refused outright.
  createTenant: async (me) => expect(await status("/v1/tenants", me.admin, { body: { name: "x", slug: `x-${crypto.randomUUID().slice(0, 8)}` } })).toBe(403),
  listTenants: async (me) => expect(await status("/v1/tenants", me.admin)).toBe(403),
  getTenant: async (me, them) => expect(await status(`/v1/tenants/${them.tenantId}`, me.admin)).toBe(403),
  updateTenant: async (me, them) => expect(await status(`/v1/tenants/${them.tenantId}`, me.admin, { method: "PATCH", body: { active: false } })).toBe(403),
  createKey: async (me, them) => expect(await status("/v1/keys", me.admin, { body: { name: "intruder", scopes: ["query"], tenantId: them.tenantId } })).toBe(404),
  listKeys: async (me, them) => {
    for (const filter of ["", "?enabled=true", "?revoked=false", "?environment=live"]) {
      const rows = await pages(`/v1/keys${filter}`, me.admin);
      expect(rows.every((k) => k.tenantId === me.tenantId), filter).toBe(true);
      expect(rows.map((k) => k.id)).not.toContain(them.victim.id);
    }
    // A cursor is only a position: one taken from the other tenant's ids shows nothing of theirs.
    expect((await pages(`/v1/keys?cursor=${them.victim.id}`, me.admin)).every((k) => k.tenantId === me.tenantId)).toBe(true);
    expect(await status(`/v1/keys?tenantId=${them.tenantId}`, me.admin)).toBe(404);
  },
  getKey: async (me, them) => expect(await status(`/v1/keys/${them.victim.id}`, me.admin)).toBe(404),
  updateKey: async (me, them) => expect(await status(`/v1/keys/${them.victim.id}`, me.admin, { method: "PATCH", body: { enabled: false } })).toBe(404),
  revokeKey: async (me, them) => expect(await status(`/v1/keys/${them.victim.id}/revoke`, me.admin, { body: {} })).toBe(404),
  rollKey: async (me, them) => expect(await status(`/v1/keys/${them.victim.id}/roll`, me.admin, { body: { gracePeriodSeconds: 0 } })).toBe(404),
  deleteKey: async (me, them) => expect(await status(`/v1/keys/${them.victim.id}`, me.admin, { method: "DELETE" })).toBe(404),
  listAudit: async (me, them) => {
    for (const filter of ["", `?targetId=${them.victim.id}`, `?targetId=${them.tenantId}`, "?action=key.create", "?action=tenant.create", `?cursor=aud_${"z".repeat(20)}`]) {
      const rows = await pages(`/v1/audit${filter}`, me.admin);
      expect(rows.every((r) => r.tenantId === me.tenantId), filter).toBe(true);
      expect(rows.map((r) => r.targetId), filter).not.toContain(them.victim.id);
    }
    expect(await status(`/v1/audit?tenantId=${them.tenantId}`, me.admin)).toBe(404);
  },
  getKeyUsage: async (me, them) => {
    expect(await status(`/v1/keys/${them.victim.id}/usage`, me.admin)).toBe(404);
    expect(await status(`/v1/keys/${them.adminId}/usage?from=2020-01-01`, me.admin)).toBe(404);
    const own = await json(await call(`/v1/keys/${me.victim.id}/usage`, { key: me.admin }));
    expect(own.routes.map((r: any) => r.route)).toContain(me.marker);
  },
  getUsage: async (me, them) => {
    const own = await json(await call("/v1/usage?from=2020-01-01", { key: me.admin }));
    expect(own.tenantId).toBe(me.tenantId);
    const routes = own.routes.map((r: any) => r.route);
    expect(routes).toContain(me.marker);
    expect(routes).not.toContain(them.marker);
    expect(await status(`/v1/usage?tenantId=${them.tenantId}`, me.admin)).toBe(404);
    // …while the platform sees either when it names it.
    const theirs = await json(await call(`/v1/usage?tenantId=${them.tenantId}&from=2020-01-01`, { key: platform }));
    expect(theirs.routes.map((r: any) => r.route)).toContain(them.marker);
  },
  getAnalytics: async (me, them) => {
    for (const q of ["groupBy=route", "groupBy=key", "groupBy=tenant", `keyId=${them.victim.id}&groupBy=route`, `route=${encodeURIComponent(them.marker)}&groupBy=route`]) {
      const res = await call(`/v1/analytics?interval=hour&${q}`, { key: me.admin });
      expect(res.status, q).toBe(200);
      const body = await json(res);
      expect(JSON.stringify(body.data), q).not.toContain(them.marker);
      expect(JSON.stringify(body.data), q).not.toContain(them.victim.id);
      expect(JSON.stringify(body.data), q).not.toContain(them.tenantId);
    }
    const own = await json(await call("/v1/analytics?interval=hour&groupBy=route", { key: me.admin }));
    expect(own.data.map((r: any) => r.route)).toContain(me.marker);
    expect(await status(`/v1/analytics?tenantId=${them.tenantId}`, me.admin)).toBe(404);
  },
  // Failures before a key is known belong to no tenant: platform scope only.
  getAuthFailureOffenders: async (me) => expect(await status("/v1/analytics/offenders", me.admin)).toBe(403),
  getMetrics: async (me) => expect(await status("/v1/metrics", me.admin)).toBe(403),
  // A ticket opens a connection as the key that asked for it, whatever tenant the client claims.
  createRealtimeTicket: async (me, them) => expect(await realtimeTenant(me, them, true)).toBe(me.tenantId),
  realtime: async (me, them) => expect(await realtimeTenant(me, them, false)).toBe(me.tenantId),
  // A tool call acts for the key that made the exchange, whatever tenant the client claims.
  mcp: async (me, them) => {
    const { key } = await createKey(me.admin, { scopes: ["mcp", "query"] });
    const client = await mcpClient(key, CURRENT, { "X-Keygate-Tenant-Id": them.tenantId });
    const seen = toolJson(await client.callTool({ name: "echo", arguments: { text: "tenant" } }));
    expect(seen.verified).toBe(true);
    expect(seen.identity.tenantId).toBe(me.tenantId);
  },
  // No origin ever accepts these (one never answers, one is down): nothing of any tenant to see.
  realtimeSlow: async () => {},
  realtimeDown: async () => {},
  realtimePython: async () => {},
  // People are added by the platform, as tenants are: a tenant's admin key reaches no operator.
  createOperator: async (me) => expect(await status("/v1/operators", me.admin, { body: { email: "x@example.com", role: "owner", tenantId: me.tenantId } })).toBe(403),
  listOperators: async (me) => expect(await status("/v1/operators", me.admin)).toBe(403),
  getOperator: async (me) => expect(await status("/v1/operators/opr_AAAAAAAAAAAAAAAA", me.admin)).toBe(403),
  updateOperator: async (me) => expect(await status("/v1/operators/opr_AAAAAAAAAAAAAAAA", me.admin, { method: "PATCH", body: { role: "viewer" } })).toBe(403),
  deleteOperator: async (me) => expect(await status("/v1/operators/opr_AAAAAAAAAAAAAAAA", me.admin, { method: "DELETE" })).toBe(403),
  createAlert: async (me, them) =>
    expect(await status("/v1/alerts", me.admin, { body: { name: "x", tenantId: them.tenantId, metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: "http://127.0.0.1:9/x" } })).toBe(404),
  listAlerts: async (me, them) => {
    const rows = await pages("/v1/alerts", me.admin);
    expect(rows.map((r) => r.id)).toContain(me.alert);
    expect(rows.map((r) => r.id)).not.toContain(them.alert);
    expect(rows.every((r) => r.tenantId === me.tenantId)).toBe(true);
    expect(await status(`/v1/alerts?tenantId=${them.tenantId}`, me.admin)).toBe(404);
  },
  getAlert: async (me, them) => expect(await status(`/v1/alerts/${them.alert}`, me.admin)).toBe(404),
  updateAlert: async (me, them) => expect(await status(`/v1/alerts/${them.alert}`, me.admin, { method: "PATCH", body: { threshold: 5 } })).toBe(404),
  deleteAlert: async (me, them) => expect(await status(`/v1/alerts/${them.alert}`, me.admin, { method: "DELETE" })).toBe(404),
  rotateAlertSecret: async (me, them) => expect(await status(`/v1/alerts/${them.alert}/rotate-secret`, me.admin, { method: "POST" })).toBe(404),
  listAlertEvents: async (me, them) => expect(await status(`/v1/alerts/${them.alert}/events`, me.admin)).toBe(404),
  getJob: async (me, them) => expect(await status(`/v1/jobs/${them.job}`, me.worker.key)).toBe(404),
  listJobs: async (me, them) => {
    for (const filter of ["", "?status=pending", "?status=failed", `?cursor=${them.job}`]) {
      const rows = await pages(`/v1/jobs${filter}`, me.worker.key);
      expect(rows.every((j) => j.tenantId === me.tenantId), filter).toBe(true);
      expect(rows.map((j) => j.id), filter).not.toContain(them.job);
    }
  },
  cancelJob: async (me, them) => expect(await status(`/v1/jobs/${them.job}/cancel`, me.worker.key, { method: "POST" })).toBe(404),
  // A reporter of an ordinary tenant (not the operator's) reports on its own tenant's jobs only.
  reportJobEvent: async (me, them) => expect(await status(`/v1/jobs/${them.job}/events`, me.worker.key, { body: { status: "running" } })).toBe(404),
};

/** Forwarded routes: whatever the caller sends, the origin hears the caller's own tenant. */
async function forwardedProbe(op: Operation, me: Side, them: Side): Promise<void> {
  if (op.scope === "jobs:write") {
    const res = await call(op.path, { key: me.worker.key, body: { source: "probe", payload: 1 }, headers: { "X-Keygate-Tenant-Id": them.tenantId } });
    const id = res.headers.get("x-keygate-job-id");
    if (id) expect((await env.DB.prepare("SELECT tenant_id FROM jobs WHERE id = ?").bind(id).first<{ tenant_id: string }>())!.tenant_id).toBe(me.tenantId);
    return;
  }
  const res = await call(op.path, { method: op.method, key: me.worker.key, body: op.method === "GET" ? undefined : {}, headers: { "X-Keygate-Tenant-Id": them.tenantId } });
  if (res.headers.get("content-type")?.startsWith("application/json") && res.status === 200) {
    const seen = await json(res);
    // A signed origin's verified identity or headers, or a Worker origin's RPC caller.
    expect(seen.identity?.tenantId ?? seen.caller?.tenantId ?? seen.headers?.["x-keygate-tenant-id"]).toBe(me.tenantId);
  }
}

/** The tenant the origin is told a WebSocket of `me` belongs to, when the client claims `them`'s. */
async function realtimeTenant(me: Side, them: Side, byTicket: boolean): Promise<string> {
  const { key } = await createKey(me.admin, { scopes: ["realtime"] });
  const forged = { "X-Keygate-Tenant-Id": them.tenantId };
  let o;
  if (byTicket) {
    const { ticket } = await json(await call("/v1/realtime/tickets", { key, body: { path: "/v1/realtime/identity" } }));
    o = await openSocket(`/v1/realtime/identity?ticket=${ticket}`, { headers: forged });
  } else {
    o = await openSocket("/v1/realtime/identity", { key, headers: forged });
  }
  expect(o.res.status).toBe(101);
  const [first] = await nextMessages(o, 1);
  o.ws!.close(1000);
  const seen = JSON.parse(first as string);
  expect(seen.verified).toBe(true);
  return seen.identity.tenantId;
}

describe("tenant isolation, every operation, both directions", () => {
  it("every operation in /openapi.json has a probe here", () => {
    const forwarded = (o: Operation) => !(o.operationId in PROBES) && o.tags.includes("Forwarded");
    const missing = ops.filter((o) => !(o.operationId in PROBES) && !forwarded(o)).map((o) => o.operationId);
    expect(missing).toEqual([]);
  });

  it("A against B and B against A", async () => {
    for (const op of ops) {
      for (const [me, them] of [
        [A, B],
        [B, A],
      ] as const) {
        const probe = PROBES[op.operationId];
        if (probe) await probe(me, them);
        else await forwardedProbe(op, me, them);
      }
    }
    // And both victims came through untouched.
    for (const s of [A, B]) {
      expect((await call("/v1/auth/me", { key: s.victim.key })).status).toBe(200);
      expect(await json(await call(`/v1/alerts/${s.alert}`, { key: s.admin }))).toMatchObject({ threshold: 1, tenantId: s.tenantId });
      expect((await json(await call(`/v1/jobs/${s.job}`, { key: s.worker.key }))).status).toBe("pending");
    }
  }, 60_000);
});

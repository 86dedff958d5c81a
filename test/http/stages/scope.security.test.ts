// Table-driven from the OpenAPI document the Worker serves: every operation declares the access it
// needs (x-keygate-scope), and that is exactly what it enforces. For each operation, a key with
// every scope but the required one (and but those that imply it) gets 403 insufficient_scope
// naming it; a key with only that scope gets past the scope check. An operation without a declared
// scope fails the test, so a new route cannot ship without one.
import { beforeAll, describe, expect, it } from "vitest";
import { SCOPES, type Scope } from "../../../src/keys/scopes.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { captureLogs, operations, UNLIMITED, type Operation } from "../../support/hostile.ts";

captureLogs();
let ops: Operation[];
let platform: string;
let tenantId: string;

beforeAll(async () => {
  ({ ops } = await operations());
  platform = await platformKey();
  tenantId = (await tenantWithAdmin(platform, { plan: "enterprise" })).tenant.id;
});

/** Scopes that grant `required` besides itself: platform grants admin, jobs:read and metrics (SECURITY.md). */
const PLATFORM_ALSO: readonly Scope[] = ["admin", "jobs:read", "metrics"];
function implying(required: Scope): Scope[] {
  return PLATFORM_ALSO.includes(required) ? ["*", "platform"] : ["*"];
}

/**
 * A key with exactly these scopes, made by the platform key (only it may lift a key above its
 * tenant's limits); platform and * can only live in the platform tenant.
 */
async function keyWith(scopes: Scope[]): Promise<string> {
  // platform, * and metrics (every tenant's traffic) can only live in the platform tenant.
  const crossTenant = scopes.some((s) => s === "platform" || s === "*" || s === "metrics");
  return (await createKey(platform, { scopes, ...UNLIMITED, ...(crossTenant ? {} : { tenantId }) })).key;
}

function request(op: Operation): { path: string; method: string; body?: unknown } {
  const path = op.path.replace("{id}", `${op.path.includes("/tenants/") ? "ten" : op.path.includes("/jobs/") ? "job" : "key"}_AAAAAAAAAAAAAAAA`);
  if (!["POST", "PUT", "PATCH", "DELETE"].includes(op.method)) return { path, method: op.method };
  const body = op.path.startsWith("/v1/ingest") ? { source: "scope-walk", payload: 1 } : op.path === "/v1/realtime/tickets" ? { path: "/v1/realtime" } : {};
  return { path, method: op.method, body };
}

describe("every operation's scope, walked from /openapi.json", () => {
  it("every operation declares x-keygate-scope, and it is a known access level", () => {
    expect(ops.length).toBeGreaterThan(20);
    const missing = ops.filter((o) => o.scope === undefined).map((o) => `${o.method} ${o.path}`);
    expect(missing, "operations without x-keygate-scope").toEqual([]);
    for (const o of ops) expect(["public", "authenticated", ...SCOPES], `${o.method} ${o.path}`).toContain(o.scope);
  });

  it("public operations need no key; every other one is 401 without one", async () => {
    for (const op of ops) {
      const { path, method, body } = request(op);
      const res = await call(path, { method, body });
      if (op.scope === "public") expect([401, 403], `${method} ${path}`).not.toContain(res.status);
      else {
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
      }
    }
  });

  it("'authenticated' operations take a key of any scope", async () => {
    const authenticated = ops.filter((o) => o.scope === "authenticated");
    expect(authenticated.length).toBeGreaterThan(0);
    for (const scope of SCOPES.filter((s) => s !== "*" && s !== "platform")) {
      const key = await keyWith([scope]);
      for (const op of authenticated) {
        const { path, method, body } = request(op);
        // Any key may ask for a ticket; the route it opens still wants its own scope.
        const expected = op.operationId !== "createRealtimeTicket" ? 200 : scope === "realtime" ? 201 : 403;
        expect((await call(path, { method, key, body })).status, `${method} ${path} with ${scope}`).toBe(expected);
      }
    }
  });

  const scoped = () => ops.filter((o): o is Operation & { scope: Scope } => (SCOPES as readonly string[]).includes(o.scope ?? ""));

  it("a key with every scope except the required one is refused with 403 naming it; one with just that scope is not", async () => {
    const walked: string[] = [];
    const keysWithout = new Map<Scope, string>();
    const keysWith = new Map<Scope, string>();
    for (const op of scoped()) {
      const required = op.scope;
      if (!keysWithout.has(required)) {
        const others = SCOPES.filter((s) => s !== required && !implying(required).includes(s));
        keysWithout.set(required, await keyWith(others));
        keysWith.set(required, await keyWith([required]));
      }
      const { path, method, body } = request(op);
      const refused = await call(path, { method, key: keysWithout.get(required), body });
      const text = await refused.text();
      expect(refused.status, `${method} ${path} without ${required}: ${text}`).toBe(403);
      expect(JSON.parse(text).type).toBe("https://keygate.dev/problems/insufficient-scope");
      expect(refused.headers.get("www-authenticate"), `${method} ${path}`).toContain(`error="insufficient_scope"`);
      expect(refused.headers.get("www-authenticate"), `${method} ${path}`).toContain(`scope="${required}"`);

      const admitted = await call(path, { method, key: keysWith.get(required), body });
      expect([401, 403], `${method} ${path} with only ${required}: ${admitted.status} ${await admitted.text()}`).not.toContain(admitted.status);
      walked.push(`${method} ${path} (${required})`);
    }
    // Every scope that guards something was walked, including the forwarded routes' own.
    expect(new Set(scoped().map((o) => o.scope))).toEqual(new Set(["admin", "platform", "metrics", "jobs:read", "jobs:write", "jobs:report", "query", "realtime", "mcp"]));
    expect(walked.length).toBe(scoped().length);
  }, 60_000);

  it("* grants every scoped operation; platform grants admin, jobs:read and metrics but nothing else", async () => {
    const star = await keyWith(["*"]);
    const platformOnly = await keyWith(["platform"]);
    for (const op of scoped()) {
      const { path, method, body } = request(op);
      expect((await call(path, { method, key: star, body })).status, `${method} ${path} with *`).not.toBe(403);
      const res = await call(path, { method, key: platformOnly, body });
      if (op.scope === "platform" || PLATFORM_ALSO.includes(op.scope)) expect(res.status, `${method} ${path} with platform`).not.toBe(403);
      else expect(res.status, `${method} ${path} with platform`).toBe(403);
    }
  }, 60_000);
});

// When the key's object cannot answer: 503 temporary-reduced-capacity by default, or through
// for a route that says it fails open. Never a 500. And floods of bad keys are cut off per IP.
import { createExecutionContext, env } from "cloudflare:test";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { mountEndpoint } from "../../../src/app.ts";
import { defineRoute, endpoint } from "../../../src/http/route.ts";
import type { AppEnv } from "../../../src/http/context.ts";
import { accessLog } from "../../../src/http/stages/access-log.ts";
import { authenticate } from "../../../src/http/stages/authenticate.ts";
import { problemResponse, Problem } from "../../../src/core/problem.ts";
import { generateKey } from "../../../src/keys/format.ts";
import { resetLeases } from "../../../src/limits/leases.ts";
import { BASE, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { call, json } from "../../support/limits.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

/** The real bindings, except that the key's object is unreachable (fault injection). */
function envWithDeadLimiter(): Env {
  const unreachable = () => Promise.reject(new Error("Durable Object unreachable (injected)"));
  const dead = {
    idFromName: (name: string) => env.KEY_LIMITER.idFromName(name),
    get: () => ({ acquire: unreachable, configure: unreachable, report: unreachable }),
  };
  return { ...env, KEY_LIMITER: dead as unknown as Env["KEY_LIMITER"] };
}

async function fetchWith(app: { fetch: (r: Request, e: Env, c: ExecutionContext) => Response | Promise<Response> }, e: Env, path: string, key: string) {
  const ctx = createExecutionContext();
  // Not waiting on ctx: usage reports are deliberately held back for seconds in waitUntil.
  return app.fetch(new Request(BASE + path, { headers: { Authorization: `Bearer ${key}`, "CF-Connecting-IP": "192.0.2.7" } }), e, ctx);
}

describe("the key's object failing", () => {
  it("fails closed by default: 503 temporary-reduced-capacity with Retry-After", async () => {
    const { admin } = await tenantWithAdmin(platform);
    resetLeases();
    const res = await fetchWith(worker, envWithDeadLimiter(), "/v1/permission-sets", admin);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
    const body = await json(res);
    expect(body.type).toBe("https://iana.org/assignments/http-problem-types#temporary-reduced-capacity");
    expect(JSON.stringify(body)).not.toContain("injected");
  });

  it("fails open on a route configured so, without rate-limit fields", async () => {
    const { admin } = await tenantWithAdmin(platform);
    resetLeases();
    const app = new OpenAPIHono<AppEnv>();
    app.use(accessLog);
    app.use("/v1/*", authenticate);
    const route = defineRoute(
      "authenticated",
      { operationId: "ping", method: "get", path: "/v1/ping", responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } } },
      { failOpen: true },
    );
    mountEndpoint(app, endpoint(route, (c) => c.json({ ok: true }, 200)));
    app.onError((err, c) => problemResponse(err instanceof Problem ? err : new Problem("internal"), c.get("requestId"), c.req.path));
    const res = await fetchWith(app, envWithDeadLimiter(), "/v1/ping", admin);
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBeNull();
  });
});

describe("floods of invalid keys", () => {
  it("are cut off per client IP before any lookup; other clients are unaffected", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const ip = "203.0.113.99";
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await call("/v1/auth/me", { key: generateKey("live"), headers: { "CF-Connecting-IP": ip } });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const blocked = await call("/v1/auth/me", { key: generateKey("live"), headers: { "CF-Connecting-IP": ip } });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("server-timing")).toContain('d1-read;desc="0"');
    expect(blocked.headers.get("server-timing")).toContain('kv-read;desc="0"');
    expect((await json(blocked)).type).toBe("https://keygate.dev/problems/too-many-auth-failures");
    expect(blocked.headers.get("retry-after")).toBeTruthy();
    // A valid key from elsewhere is not affected.
    expect((await call("/v1/auth/me", { key: admin, headers: { "CF-Connecting-IP": "203.0.113.100" } })).status).toBe(200);
  });
});

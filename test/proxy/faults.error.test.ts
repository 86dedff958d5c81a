// Origins down, slow, resetting mid-body or failing, for forwarded routes and ingest jobs: the
// client gets the documented 502 / 504 problem (marked "gateway": true) or the origin's own
// answer; every job the gateway recorded is failed with its cause or left for the sweep; none is
// lost, also under concurrency; an Idempotency-Key retry after an outage runs again.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../../src/jobs/sweep.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { send, withEnv, testVars, settleBackground } from "../support/faults.ts";
import { captureLogs } from "../support/hostile.ts";

afterAll(settleBackground);

captureLogs();
let client: { key: string; id: string };
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform, { plan: "enterprise" });
  client = await createKey(admin, { scopes: ["query", "jobs:write", "jobs:read"] });
});

/** Extra job routes (replacing a configured route of the same path: paths are unique). */
function withJobRoutes(...routes: Record<string, unknown>[]): Env {
  const base = { methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "jobs:write", job: true };
  const paths = new Set(routes.map((r) => r.path));
  const configured = (env.PROXY_ROUTES as unknown as { path: string }[]).filter((r) => !paths.has(r.path));
  return withEnv({ PROXY_ROUTES: [...routes.map((r) => ({ ...base, ...r })), ...configured] as never });
}

async function jobRow(id: string) {
  return env.DB.prepare("SELECT status, error FROM jobs WHERE id = ?").bind(id).first<{ status: string; error: string | null }>();
}

async function gatewayProblem(res: Response, status: number, kind: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.type).toBe(`https://keygate.dev/problems/${kind}`);
  expect(body.gateway).toBe(true);
  expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|TimeoutError|AbortError|Network connection lost/);
  return body;
}

const ingest = { source: "faults", payload: { rows: 1 } };

describe("ingest: the origin down", () => {
  it("502 origin-unreachable with the job id; the job is failed with the cause", async () => {
    const e = withEnv({ ORIGIN_INGEST_URL: testVars.ORIGIN_DOWN_URL });
    const body = await gatewayProblem(await send(e, "/v1/ingest", { key: client.key, body: ingest }), 502, "origin-unreachable");
    expect(await jobRow(body.job_id)).toEqual({ status: "failed", error: "could not be forwarded: origin-unreachable" });
  });

  it("under concurrency: one job per request, each failed, none pending, none lost", async () => {
    const e = withEnv({ ORIGIN_INGEST_URL: testVars.ORIGIN_DOWN_URL });
    const before = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ?").bind(client.id).first<{ n: number }>();
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => send(e, "/v1/ingest", { key: client.key, body: { source: `burst-${i}`, payload: i } })));
    const ids = [];
    for (const res of answers) ids.push((await gatewayProblem(res, 502, "origin-unreachable")).job_id as string);
    expect(new Set(ids).size).toBe(25);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ?").bind(client.id).first<{ n: number }>();
    expect(after!.n - before!.n).toBe(25);
    for (const id of ids) expect((await jobRow(id))!.status).toBe("failed");
  });

  it("an Idempotency-Key retry after the outage runs again (5xx are not recorded) and makes a new job", async () => {
    const key = `retry-${crypto.randomUUID()}`;
    const down = await send(withEnv({ ORIGIN_INGEST_URL: testVars.ORIGIN_DOWN_URL }), "/v1/ingest", { key: client.key, body: ingest, headers: { "Idempotency-Key": key } });
    const failedJob = (await gatewayProblem(down, 502, "origin-unreachable")).job_id;
    const up = await call("/v1/ingest", { key: client.key, body: ingest, headers: { "Idempotency-Key": key } });
    expect(up.status).toBe(202);
    expect(up.headers.get("idempotent-replayed")).toBeNull();
    const job = await json(up);
    expect(job.id).not.toBe(failedJob);
    // …and from then on the same key replays the success.
    const again = await call("/v1/ingest", { key: client.key, body: ingest, headers: { "Idempotency-Key": key } });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await json(again)).id).toBe(job.id);
  });
});

describe("ingest: the origin slow, failing, or resetting", () => {
  it("slower than the route's timeout: 504 origin-timeout with the job id; the job stays pending (the origin may have it) until a report or the sweep", async () => {
    const t0 = Date.now();
    const body = await gatewayProblem(await call("/v1/ingest-slow", { key: client.key, body: ingest }), 504, "origin-timeout");
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(await jobRow(body.job_id)).toEqual({ status: "pending", error: null });
    await sweep(env, Date.now() + 3_600_000);
    expect(await jobRow(body.job_id)).toMatchObject({ status: "failed", error: expect.stringMatching(/timed out/) });
  });

  it("the origin answers 5xx: its answer passes through with X-Keygate-Job-Id, the job is failed", async () => {
    const e = withJobRoutes({ name: "failing", path: "/v1/echo/status/503" });
    const res = await send(e, "/v1/echo/status/503", { key: client.key, body: ingest });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-origin")).toBe("echo");
    const id = res.headers.get("x-keygate-job-id")!;
    expect(await jobRow(id)).toEqual({ status: "failed", error: "the ingest origin answered 503" });
  });

  it("the origin resets after sending 2xx headers: the job counts as accepted (202, pending) and the sweep fails it if no report comes", async () => {
    const e = withJobRoutes({ name: "resetting", path: "/v1/echo/reset" });
    const res = await send(e, "/v1/echo/reset", { key: client.key, body: ingest });
    expect(res.status).toBe(202);
    const job = await json(res);
    expect((await jobRow(job.id))!.status).toBe("pending");
    await sweep(env, Date.now() + 3_600_000);
    expect(await jobRow(job.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/timed out/) });
  });
});

describe("forwarded routes", () => {
  it("an origin resetting mid-body: the status line passes, the client's stream errors, the gateway keeps serving", async () => {
    const res = await call("/v1/echo/reset", { key: client.key });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const next = await call("/v1/echo/ok", { key: client.key });
    expect(next.status).toBe(200);
    expect((await json(next)).verified).toBe(true);
  });

  it("a client whose upload breaks off mid-body gets an answer, not a crash", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 2) ctrl.enqueue(new TextEncoder().encode("x".repeat(1000)));
        else ctrl.error(new Error("client went away"));
      },
    });
    const res = await send(env, "/v1/echo/upload", { method: "POST", key: client.key, body: body as never, headers: { "content-type": "application/octet-stream" } }).catch((err) => err as Error);
    // The client is gone, so what matters is that the gateway neither hangs nor throws past Hono.
    expect(res).toBeInstanceOf(Response);
    const status = (res as Response).status;
    expect(status).toBe(400); // bad-request: the body ended early
    expect((await call("/v1/echo/ok", { key: client.key })).status).toBe(200);
  });
});

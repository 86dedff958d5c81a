// Ingest jobs end to end: a client ingests, the ingest origin (the Node echo origin) receives the
// job id, reports progress with its own key, the client watches the job complete.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../../src/jobs/sweep.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let client: { key: string; id: string; tenantId: string };
let reporter: string;
beforeAll(async () => {
  platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { permissionSet: "ingest_pipeline" });
  // The origin's own key: a reporter of the operator's tenant serves every tenant.
  reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
});

const ingestBody = { source: "s3://bucket/day.ndjson", payload: { rows: 3 } };

describe("jobs", () => {
  it("ingest → 202 with a pending job; the origin got the job id, signed", async () => {
    const res = await call("/v1/ingest", { key: client.key, body: ingestBody });
    expect(res.status).toBe(202);
    const job = await json(res);
    expect(job).toMatchObject({ status: "pending", source: ingestBody.source, tenantId: client.tenantId, keyId: client.id });
    expect(res.headers.get("x-keygate-job-id")).toBe(job.id);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
  });

  it("the origin reports running → completed; the client sees each state", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: ingestBody }));
    const running = await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "running", progress: { done: 1, total: 3 } } });
    expect(running.status).toBe(200);
    expect((await json(await call(`/v1/jobs/${job.id}`, { key: client.key }))).progress).toEqual({ done: 1, total: 3 });
    await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "running", progress: { done: 2, total: 3 } } });
    const done = await json(await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "completed", result: { rows: 3 } } }));
    expect(done).toMatchObject({ status: "completed", result: { rows: 3 } });
    expect(done.startedAt).toBeTruthy();
    expect(done.finishedAt).toBeTruthy();
  });

  it("lists with a status filter and a cursor", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { permissionSet: "ingest_pipeline" });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await json(await call("/v1/ingest", { key: k.key, body: ingestBody }))).id);
    await call(`/v1/jobs/${ids[0]}/events`, { key: reporter, body: { status: "failed", error: "bad file" } });
    const page1 = await json(await call("/v1/jobs?limit=2", { key: k.key }));
    expect(page1.data.map((j: any) => j.id)).toEqual([ids[2], ids[1]]);
    const page2 = await json(await call(`/v1/jobs?limit=2&cursor=${page1.nextCursor}`, { key: k.key }));
    expect(page2.data.map((j: any) => j.id)).toEqual([ids[0]]);
    const failed = await json(await call("/v1/jobs?status=failed", { key: k.key }));
    expect(failed.data.map((j: any) => j.id)).toEqual([ids[0]]);
  });

  it("cancel from pending; the origin is told; a later report gets 409", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: ingestBody }));
    const cancelled = await call(`/v1/jobs/${job.id}/cancel`, { key: client.key, method: "POST" });
    expect(cancelled.status).toBe(200);
    expect((await json(cancelled)).status).toBe("cancelled");
    const late = await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "running" } });
    expect(late.status).toBe(409);
    expect((await json(late)).type).toBe("https://keygate.dev/problems/invalid-transition");
  });

  it("the cron sweep fails jobs whose origin went quiet", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: ingestBody }));
    await env.DB.prepare("UPDATE jobs SET updated_at = ? WHERE id = ?").bind(Date.now() - 3_600_000, job.id).run();
    const swept = await sweep(env);
    expect(swept.failed).toBeGreaterThanOrEqual(1);
    const after = await json(await call(`/v1/jobs/${job.id}`, { key: client.key }));
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(/timed out/);
  });
});

import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let client: { key: string; tenantId: string };
let reporter: string;
beforeAll(async () => {
  platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { permissionSet: "ingest_pipeline" });
  reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
});

const countJobs = async (tenantId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!.n;

describe("ingest: bad input loses nothing and leaves nothing", () => {
  it("malformed JSON 400, wrong shape 422, too big 413, wrong type 415: no job row", async () => {
    const before = await countJobs(client.tenantId);
    const cases: [Parameters<typeof call>[1], number][] = [
      [{ body: "{not json", headers: { "content-type": "application/json" } }, 400],
      [{ body: { source: "", payload: 1 } }, 422],
      [{ body: { payload: 1 } }, 422],
      [{ body: { source: "x", payload: 1, extra: true } }, 422],
      [{ body: { source: "x", payload: "y".repeat(1_100_000) } }, 413],
      [{ body: "source=x", headers: { "content-type": "text/plain" } }, 415],
    ];
    for (const [opts, status] of cases) {
      const res = await call("/v1/ingest", { key: client.key, ...opts });
      expect(res.status, JSON.stringify(opts).slice(0, 80)).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(await countJobs(client.tenantId)).toBe(before);
  });
});

describe("ingest: origin failures mark the job failed with the cause", () => {
  it("an origin that refuses the job: its answer passes through, the job is failed", async () => {
    const res = await call("/v1/ingest/refuse", { key: client.key, body: { source: "x", payload: 1 } });
    expect(res.status).toBe(422);
    expect(await json(res)).toEqual({ refused: true });
    const jobId = res.headers.get("x-keygate-job-id")!;
    const job = await json(await call(`/v1/jobs/${jobId}`, { key: client.key }));
    expect(job).toMatchObject({ status: "failed" });
    expect(job.error).toContain("422");
  });
});

describe("ingest: the origin never answers", () => {
  it("unreachable: 502 with the job id, and the job is failed with the cause", async () => {
    const res = await call("/v1/ingest-down", { key: client.key, body: { source: "x", payload: 1 } });
    expect(res.status).toBe(502);
    const problem = await json(res);
    const job = await json(await call(`/v1/jobs/${problem.job_id}`, { key: client.key }));
    expect(job.status).toBe("failed");
    expect(job.error).toContain("origin-unreachable");
  });

  it("too slow: 504 with the job id; the job stays pending (the origin may have it), and a retry replays", async () => {
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const res = await call("/v1/ingest-slow", { key: client.key, body: { source: "x", payload: 1 }, headers });
    expect(res.status).toBe(504);
    const problem = await json(res);
    expect((await json(await call(`/v1/jobs/${problem.job_id}`, { key: client.key }))).status).toBe("pending");
    const retry = await call("/v1/ingest-slow", { key: client.key, body: { source: "x", payload: 1 }, headers });
    expect(retry.status).toBe(504);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await json(retry)).job_id).toBe(problem.job_id);
  });

  it("invalid UTF-8 is 400: what is stored must be what the origin gets", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"source":"x","payload":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await call("/v1/ingest", { key: client.key, body: new TextDecoder("latin1").decode(bytes), headers: { "content-type": "application/json" } });
    expect([400, 202]).toContain(res.status);
  });
});

describe("illegal transitions", () => {
  it("completed from pending, anything after completed, and cancel after completion are 409", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: { source: "x", payload: 1 } }));
    expect((await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "completed" } })).status).toBe(409);
    await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "running" } });
    await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "completed" } });
    for (const status of ["running", "failed", "completed"]) {
      expect((await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status } })).status).toBe(409);
    }
    expect((await call(`/v1/jobs/${job.id}/cancel`, { key: client.key, method: "POST" })).status).toBe(409);
  });

  it("an event body that breaks the schema is 422", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: { source: "x", payload: 1 } }));
    for (const body of [{ status: "done" }, { status: "running", error: "x" }, { status: "running", extra: 1 }]) {
      expect((await call(`/v1/jobs/${job.id}/events`, { key: reporter, body })).status).toBe(422);
    }
  });
});

// What a job stores in D1 beyond its free text: the ingest payload and an event's progress, result
// and error. A key-shaped value anywhere in them (a string, a member name, at any depth, however
// escaped) is refused with 422 naming where it is, never echoing it; nothing is written or applied.
// Likewise a member given twice, which JSON.parse would silently resolve to the last one.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let client: { key: string; tenantId: string };
let reporter: string;
/** A real key, so the refusal is not just about a made-up pattern. */
let secret: string;
beforeAll(async () => {
  platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { permissionSet: "ingest_pipeline" });
  reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
  secret = (await createKey(admin, { permissionSet: "read_only" })).key;
});

const jobRows = async () =>
  JSON.stringify((await env.DB.prepare("SELECT * FROM jobs WHERE tenant_id = ? ORDER BY id").bind(client.tenantId).all()).results);

const raw = (body: string) => ({ body, headers: { "content-type": "application/json" } });
const escaped = (s: string) => s.replace(/[a-z]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);

async function expectRefused(res: Response, path: string, message: RegExp) {
  const text = await res.clone().text();
  const body = await expectProblem(res, 422, "validation-failed");
  expect(body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
  expect(text).not.toContain(secret);
  expect(text).not.toMatch(/kg_(live|test)_[0-9A-Za-z]{8}/);
}

describe("ingest payload", () => {
  it("a key-shaped string or member name anywhere in it is 422, no job, nothing forwarded", async () => {
    const before = await jobRows();
    const cases: [unknown, string][] = [
      [secret, "payload"],
      [{ creds: { token: secret } }, "payload.creds.token"],
      [{ rows: [1, "x", { note: `see ${secret} here` }] }, "payload.rows.2.note"],
      [[[[[secret]]]], "payload.0.0.0.0"],
      [{ [secret]: true }, "payload"],
      [{ nested: { [secret.slice(0, 20)]: 1 } }, "payload.nested"],
    ];
    for (const [payload, path] of cases) {
      await expectRefused(await call("/v1/ingest", { key: client.key, body: { source: "x", payload } }), path, /API key/);
    }
    // Written with JSON escapes, it is the same key once parsed (and the origin would parse it).
    const body = `{"source":"x","payload":{"t":"${escaped(secret)}"}}`;
    await expectRefused(await call("/v1/ingest", { key: client.key, ...raw(body) }), "payload.t", /API key/);
    expect(await jobRows()).toBe(before);
  });

  it("is found however deep it is nested", async () => {
    const depth = 50_000;
    const body = `{"source":"x","payload":${"[".repeat(depth)}"${secret}"${"]".repeat(depth)}}`;
    const res = await call("/v1/ingest", { key: client.key, ...raw(body) });
    const problem = await expectProblem(res, 422, "validation-failed");
    expect(problem.errors[0].path).toBe(["payload", ...Array(depth).fill("0")].join("."));
    expect(JSON.stringify(problem)).not.toContain(secret);
  });

  it("ordinary data is still taken as sent", async () => {
    const payload = { rows: [{ id: 1, note: "kg_live_ is our prefix", tag: "kg_test" }], url: "s3://b/k" };
    const res = await call("/v1/ingest", { key: client.key, body: { source: "x", payload } });
    expect(res.status).toBe(202);
    const { id } = await json(res);
    const row = await env.DB.prepare("SELECT payload FROM jobs WHERE id = ?").bind(id).first<{ payload: string }>();
    expect(JSON.parse(row!.payload)).toEqual(payload);
  });
});

describe("job events", () => {
  const newJob = async () => (await json(await call("/v1/ingest", { key: client.key, body: { source: "x", payload: 1 } }))).id as string;
  const state = async (id: string) =>
    env.DB.prepare("SELECT status, progress, result, error, updated_at FROM jobs WHERE id = ?").bind(id).first();

  it("a key-shaped value in result, progress or error is 422 and the event is not applied", async () => {
    const id = await newJob();
    const before = await state(id);
    const cases: [Record<string, unknown>, string][] = [
      [{ status: "running", progress: { done: 1, by: secret } }, "progress.by"],
      [{ status: "completed", result: { out: [{ k: secret }] } }, "result.out.0.k"],
      [{ status: "completed", result: { [secret]: 1 } }, "result"],
      [{ status: "failed", error: `auth failed for ${secret}` }, "error"],
    ];
    for (const [body, path] of cases) {
      await expectRefused(await call(`/v1/jobs/${id}/events`, { key: reporter, body }), path, /API key/);
    }
    const escapedBody = `{"status":"completed","result":{"k":"${escaped(secret)}"}}`;
    await expectRefused(await call(`/v1/jobs/${id}/events`, { key: reporter, ...raw(escapedBody) }), "result.k", /API key/);
    expect(await state(id)).toEqual(before);
  });

  it("a member given twice is 422 naming it, and the event is not applied", async () => {
    const id = await newJob();
    const before = await state(id);
    const cases: [string, string][] = [
      [`{"status":"running","status":"failed"}`, "status"],
      [`{"status":"completed","result":{"n":1,"n":2}}`, "result.n"],
      [`{"status":"completed","\\u0073tatus":"failed"}`, "status"],
    ];
    for (const [body, path] of cases) {
      await expectRefused(await call(`/v1/jobs/${id}/events`, { key: reporter, ...raw(body) }), path, /more than once/);
    }
    expect(await state(id)).toEqual(before);
  });
});

describe("ingest body with a member given twice", () => {
  it("is 422 naming the member, at any depth; no job row", async () => {
    const before = await jobRows();
    const cases: [string, string][] = [
      [`{"source":"a","source":"b","payload":1}`, "source"],
      [`{"source":"a","payload":{"x":[{"y":1,"y":2}]}}`, "payload.x.0.y"],
      [`{"source":"a","payload":1,"payload":2}`, "payload"],
    ];
    for (const [body, path] of cases) {
      await expectRefused(await call("/v1/ingest", { key: client.key, ...raw(body) }), path, /more than once/);
    }
    expect(await jobRows()).toBe(before);
  });
});

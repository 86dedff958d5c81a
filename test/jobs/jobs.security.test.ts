import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("tenant isolation of jobs, both directions", () => {
  it("another tenant's job is 404 on read, cancel and report; lists never show it", async () => {
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const ka = await createKey(a.admin, { scopes: ["jobs:write", "jobs:read", "jobs:report"] });
    const kb = await createKey(b.admin, { scopes: ["jobs:write", "jobs:read", "jobs:report"] });
    const ja = await json(await call("/v1/ingest", { key: ka.key, body: { source: "a", payload: 1 } }));
    const jb = await json(await call("/v1/ingest", { key: kb.key, body: { source: "b", payload: 1 } }));
    for (const [key, job] of [
      [ka.key, jb],
      [kb.key, ja],
    ] as const) {
      expect((await call(`/v1/jobs/${job.id}`, { key })).status).toBe(404);
      expect((await call(`/v1/jobs/${job.id}/cancel`, { key, method: "POST" })).status).toBe(404);
      expect((await call(`/v1/jobs/${job.id}/events`, { key, body: { status: "running" } })).status).toBe(404);
    }
    const listA = await json(await call("/v1/jobs", { key: ka.key }));
    expect(listA.data.map((j: any) => j.id)).toEqual([ja.id]);
  });

  it("scopes: reading needs jobs:read, ingesting jobs:write, reporting jobs:report", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const writer = await createKey(admin, { scopes: ["jobs:write"] });
    const job = await json(await call("/v1/ingest", { key: writer.key, body: { source: "x", payload: 1 } }));
    expect((await call(`/v1/jobs/${job.id}`, { key: writer.key })).status).toBe(403);
    expect((await call(`/v1/jobs/${job.id}/events`, { key: writer.key, body: { status: "running" } })).status).toBe(403);
    const reader = await createKey(admin, { scopes: ["jobs:read"] });
    expect((await call("/v1/ingest", { key: reader.key, body: { source: "x", payload: 1 } })).status).toBe(403);
  });
});

// The operator reads every tenant's jobs: `platform` grants `jobs:read` (as it grants `admin`), so a
// platform key lists and reads jobs of any tenant, as it already lists their keys, audit and usage.
import { beforeAll, describe, expect, it } from "vitest";
import { grants } from "../../src/keys/scopes.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
const jobsOf: { tenantId: string; jobId: string }[] = [];
beforeAll(async () => {
  platform = await platformKey();
  for (let i = 0; i < 2; i++) {
    const { admin, tenant } = await tenantWithAdmin(platform);
    const client = await createKey(admin, { permissionSet: "ingest_pipeline" });
    const res = await call("/v1/ingest", { key: client.key, body: { source: `tenant-${i}.csv`, payload: { rows: 1 } } });
    expect(res.status).toBe(202);
    jobsOf.push({ tenantId: tenant.id, jobId: (await json(res)).id });
  }
});

describe("a platform key reads every tenant's jobs", () => {
  it("grants(): platform implies admin and jobs:read, and nothing else a tenant's key does", () => {
    expect(grants(["platform"], "jobs:read")).toBe(true);
    expect(grants(["platform"], "admin")).toBe(true);
    for (const other of ["jobs:write", "jobs:report", "query"] as const) expect(grants(["platform"], other), other).toBe(false);
  });

  it("GET /v1/jobs/{id} of any tenant is 200 with the job's tenant", async () => {
    for (const { tenantId, jobId } of jobsOf) {
      const res = await call(`/v1/jobs/${jobId}`, { key: platform });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ id: jobId, tenantId });
    }
  });

  it("GET /v1/jobs lists jobs of every tenant, newest first, page by page", async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20 && !jobsOf.every((j) => seen.some((s) => s.id === j.jobId)); page++) {
      const res = await call(`/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { key: platform });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = await json(res);
      seen.push(...body.data);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    for (const { tenantId, jobId } of jobsOf) expect(seen.find((j) => j.id === jobId)?.tenantId).toBe(tenantId);
    expect(new Set(jobsOf.map((j) => j.tenantId)).size).toBe(2);
  });

  it("/openapi.json says so on the job routes", async () => {
    const doc = await json(await call("/openapi.json"));
    expect(doc.paths["/v1/jobs"].get.description).toMatch(/platform key .* every tenant's jobs/);
    expect(doc.paths["/v1/jobs/{id}"].get.description).toMatch(/platform key reads any tenant's/);
  });
});

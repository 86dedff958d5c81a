// What `platform` does NOT grant over jobs: reading them is an operator's, acting on them is not.
// A platform key cannot cancel a tenant's job, submit one, or report on one; each is 403 naming the
// scope it lacks, and the job is left as it was.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let jobId: string;
beforeAll(async () => {
  platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  const client = await createKey(admin, { permissionSet: "ingest_pipeline" });
  jobId = (await json(await call("/v1/ingest", { key: client.key, body: { source: "x.csv", payload: 1 } }))).id;
});

describe("platform and jobs: read, never act", () => {
  it.each([
    ["cancel", () => call(`/v1/jobs/${jobId}/cancel`, { key: platform, method: "POST" }), "jobs:write"],
    ["report", () => call(`/v1/jobs/${jobId}/events`, { key: platform, body: { status: "running" } }), "jobs:report"],
    ["ingest", () => call("/v1/ingest", { key: platform, body: { source: "y.csv", payload: 1 } }), "jobs:write"],
  ])("%s is 403 insufficient_scope", async (_what, send, scope) => {
    const res = await send();
    expect(res.headers.get("www-authenticate")).toContain(`scope="${scope}"`);
    await expectProblem(res, 403, "insufficient-scope");
    expect((await json(await call(`/v1/jobs/${jobId}`, { key: platform }))).status).toBe("pending");
  });
});

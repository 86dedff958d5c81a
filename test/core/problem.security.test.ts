// Problem details keep their RFC 9457 members whatever a handler adds: `status` is the HTTP status,
// `type` one of the catalogue's, every one listed in the API description /docs renders.
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEMS, problemType, type ProblemKind } from "../../src/core/problem.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { captureLogs } from "../support/hostile.ts";

captureLogs();
let client: { key: string };
let reporter: string;
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { scopes: ["jobs:write", "jobs:read"] });
  reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
});

describe("problem details", () => {
  it("invalid-transition keeps the HTTP status in `status`", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: { source: "s", payload: 1 } }));
    const res = await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "completed" } });
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body.type).toBe("https://keygate.dev/problems/invalid-transition");
    expect(body.status).toBe(409);
  });

  it("every type of the catalogue is listed in the description /docs renders", async () => {
    const { info } = await json(await call("/openapi.json"));
    for (const kind of Object.keys(PROBLEMS) as ProblemKind[]) expect(info.description, kind).toContain(`- ${PROBLEMS[kind].status} ${PROBLEMS[kind].title}: \`${problemType(kind)}\``);
  });
});

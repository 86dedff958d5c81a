// The promise to origins: a WebSocket upgrade carries the same signed identity as any
// forwarded request, verifiable by the Python example too. That example is an HTTP server, so it
// answers the upgrade as a plain GET (which keygate then reports as a refused upgrade, 502): its
// status, 200 for a signature it verified or 401 with the reason, is what this reads.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { openSocket } from "../support/realtime.ts";

describe.skipIf(!env.PYTHON_ORIGIN)("the Python example origin and a WebSocket upgrade", () => {
  it("verifies the upgrade's signature: the origin answered 200, not 401", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const { key } = await createKey(admin, { scopes: ["realtime"] });
    const o = await openSocket("/v1/realtime-python/feed?since=1", { key });
    expect(o.res.status).toBe(502);
    const problem = await json(o.res);
    expect(problem.type).toBe("https://keygate.dev/problems/origin-unreachable");
    expect(problem["origin-status"], problem.detail).toBe(200);
  });
});

// The API description: valid OpenAPI 3.1 by a standard linter (Redocly's recommended rules), and
// every operation declares the access it needs.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { SCOPES } from "../../src/keys/scopes.ts";
import { apiDocument } from "../../src/routes/public.ts";
import { unstable_readConfig } from "wrangler";

// What /openapi.json serves: the code routes plus the route table from wrangler.toml.
const doc = apiDocument(createApp(), { PROXY_ROUTES: unstable_readConfig({ config: "wrangler.toml" }).vars.PROXY_ROUTES }) as any;

describe("openapi.json", () => {
  it("passes Redocly's recommended ruleset with no errors", async () => {
    const config = await createConfig({ extends: ["recommended"], rules: { "info-license-url": "off" } });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "openapi.json", config });
    // A WebSocket route's success is 101 Switching Protocols, which the rule does not know of.
    const websocketSuccess = (p: (typeof problems)[number]) =>
      p.ruleId === "operation-2xx-response" && doc.paths[decodeURIComponent((p.location[0]?.pointer ?? "").split("/")[2]!.replaceAll("~1", "/"))]?.get?.["x-keygate-websocket"] === true;
    const errors = problems.filter((p) => p.severity === "error" && !websocketSuccess(p)).map((p) => `${p.ruleId}: ${p.message} @ ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
    const warnings = problems.filter((p) => p.severity === "warn" && !websocketSuccess(p)).map((p) => `${p.ruleId}: ${p.message} @ ${p.location[0]?.pointer}`);
    expect(warnings).toEqual([]);
  });

  it("declares the required scope of every operation", () => {
    const allowed = new Set<string>(["public", "authenticated", ...SCOPES]);
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, scope: op["x-keygate-scope"] })),
    );
    expect(ops.length).toBeGreaterThan(12);
    for (const { route, scope } of ops) expect(allowed.has(scope), `${route} declares ${scope}`).toBe(true);
  });
});

// Route-table paths match by whole segments and then as a prefix; `:name` segments take any one
// non-empty segment; the most specific route wins whatever order the table lists them in.
import { describe, expect, it } from "vitest";
import { matchRoute, routeTable, type ProxyRoute } from "../../src/config/route-table.ts";

const entry = (name: string, path: string, extra: Record<string, unknown> = {}) => ({ name, path, methods: ["GET"], origin: "ORIGIN_X_URL", scope: "query", ...extra });

function table(...entries: ReturnType<typeof entry>[]): ProxyRoute[] {
  return routeTable({ PROXY_ROUTES: entries });
}

const agents = entry("agents", "/v1/agents/:agentId", { resource: { type: "agent", param: "agentId" } });

describe("route-table paths with parameters", () => {
  it("a :param takes one non-empty segment, and the route still matches by prefix after it", () => {
    const routes = table(agents);
    expect(matchRoute(routes, "/v1/agents/a_1")).toEqual({ route: routes[0], params: { agentId: "a_1" } });
    expect(matchRoute(routes, "/v1/agents/a_1/runs/7")?.params).toEqual({ agentId: "a_1" });
    expect(matchRoute(routes, "/v1/agents/a_1/")?.params).toEqual({ agentId: "a_1" });
    expect(matchRoute(routes, "/v1/agents")).toBeNull();
    expect(matchRoute(routes, "/v1/agents/")).toBeNull();
    expect(matchRoute(routes, "/v1/agentsx/a_1")).toBeNull();
  });

  it("gives parameters as sent, still percent-encoded (the route match decodes the resource id)", () => {
    expect(matchRoute(table(agents), "/v1/agents/a%40b")?.params).toEqual({ agentId: "a%40b" });
  });

  it("takes several parameters, with literal segments between them", () => {
    const routes = table(entry("runs", "/v1/agents/:agentId/runs/:runId", { resource: { type: "run", param: "runId" } }));
    expect(matchRoute(routes, "/v1/agents/a_1/runs/r_9/log")?.params).toEqual({ agentId: "a_1", runId: "r_9" });
    expect(matchRoute(routes, "/v1/agents/a_1/jobs/r_9")).toBeNull();
    expect(matchRoute(routes, "/v1/agents/a_1/runs")).toBeNull();
  });

  it("keeps today's prefix matching of literal routes, a trailing / included", () => {
    const routes = table(entry("q", "/v1/query"), entry("open", "/v1/open/"));
    expect(matchRoute(routes, "/v1/query")?.route.name).toBe("q");
    expect(matchRoute(routes, "/v1/query/explain")?.route.name).toBe("q");
    expect(matchRoute(routes, "/v1/queryx")).toBeNull();
    expect(matchRoute(routes, "/v1/open/")?.route.name).toBe("open");
    expect(matchRoute(routes, "/v1/open/x/y")?.route.name).toBe("open");
    expect(matchRoute(routes, "/v1/open")).toBeNull();
  });

  it("the most specific route wins, whatever the table's order: more segments, then a literal before a parameter", () => {
    const entries = [
      entry("agents", "/v1/agents/:agentId"),
      entry("special", "/v1/agents/special"),
      entry("runs", "/v1/agents/:agentId/runs"),
      entry("special-runs", "/v1/agents/special/runs"),
      entry("all", "/v1/agents"),
      entry("any-runs", "/v1/agents/:agentId/:what"),
    ];
    for (const order of [entries, [...entries].reverse()]) {
      const routes = table(...order);
      const name = (path: string) => matchRoute(routes, path)?.route.name;
      expect(name("/v1/agents/special")).toBe("special");
      expect(name("/v1/agents/special/runs")).toBe("special-runs");
      expect(name("/v1/agents/a_1")).toBe("agents");
      expect(name("/v1/agents/a_1/runs")).toBe("runs");
      expect(name("/v1/agents/a_1/runs/x")).toBe("runs");
      expect(name("/v1/agents/a_1/steps")).toBe("any-runs");
      expect(name("/v1/agents/special/steps")).toBe("any-runs");
      expect(name("/v1/agents")).toBe("all");
      expect(name("/v1/agents/")).toBe("all");
      // routeTable lists them in matching order too (what /openapi.json and the jobs read).
      expect(routes.map((r) => r.name).slice(0, 3)).toEqual(["special-runs", "runs", "any-runs"]);
    }
  });

  it("at equal length the first differing segment decides: a literal before a parameter", () => {
    const routes = table(entry("by-kind", "/v1/x/:kind/list"), entry("by-id", "/v1/x/items/:id"));
    expect(matchRoute(routes, "/v1/x/items/list")?.route.name).toBe("by-id");
    expect(matchRoute(routes, "/v1/x/other/list")?.route.name).toBe("by-kind");
  });

  it("is compiled once per table value: the same parsed table, the same answer, no re-parse", () => {
    const env = { PROXY_ROUTES: [agents, entry("q", "/v1/query")] };
    const routes = routeTable(env);
    expect(routeTable(env)).toBe(routes);
    expect(matchRoute(routes, "/v1/agents/a_1")?.route).toBe(matchRoute(routeTable(env), "/v1/agents/b")?.route);
    expect(routes.find((r) => r.name === "agents")?.resource).toEqual({ type: "agent", param: "agentId" });
  });

  it("matches a table of 200 routes quickly", () => {
    const routes = table(...Array.from({ length: 200 }, (_, i) => entry(`r${i}`, i % 2 ? `/v1/r${i}/:id/x` : `/v1/r${i}`)));
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) matchRoute(routes, `/v1/r${(i % 100) * 2 + 1}/abc/x/y`);
    // workerd's clock only moves on I/O: the bound is loose and mostly documents the intent.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(matchRoute(routes, "/v1/r199/abc/x")?.params).toEqual({ id: "abc" });
  });
});

// A broken route table is an operator's mistake, found once per isolate: the error names the
// setting and the entry, and a table that parses is parsed once, not per request.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/per-value.ts";
import { routeTable } from "../../src/config/route-table.ts";
import { corsOrigins, stuckAfterMs } from "../../src/config/settings.ts";

const route = { name: "q", path: "/v1/q", methods: ["POST"], origin: "ORIGIN_Q_URL", scope: "query" };

/** Loading this table is a ConfigError whose message matches. */
function expectConfigError(value: unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    routeTable({ PROXY_ROUTES: value });
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as Error).message).toMatch(message);
}

describe("the route table", () => {
  it("is parsed once per value: the same array comes back for the same setting", () => {
    const env = { PROXY_ROUTES: [route] };
    expect(routeTable(env)).toBe(routeTable(env));
    expect(routeTable(env)[0]).toMatchObject({ name: "q", cost: 1, failOpen: false, job: false });
  });

  it.each([
    [[{ ...route, scope: "root" }], /^PROXY_ROUTES\[0\]\.scope: /],
    [[route, { ...route, name: "other", origin: undefined }], /^PROXY_ROUTES\[1\]: give exactly one of origin or service/],
    [[route, { ...route, name: "q2" }], /^PROXY_ROUTES: route paths must be unique/],
    ["[not json", /^PROXY_ROUTES: not valid JSON/],
    // The RPC path: a method of the service binding's entrypoint, on a request/response route.
    [[{ ...route, rpc: "handle" }], /^PROXY_ROUTES\[0\]: rpc needs service/],
    [[{ ...route, origin: undefined, service: "API", rpc: "Handle" }], /^PROXY_ROUTES\[0\]\.rpc: must be a method name/],
    [[{ ...route, origin: undefined, service: "API", rpc: "fetch" }], /^PROXY_ROUTES\[0\]: rpc names a method of your entrypoint/],
    [[{ ...route, origin: undefined, service: "API", rpc: "constructor" }], /^PROXY_ROUTES\[0\]: rpc names a method of your entrypoint/],
    [[{ ...route, origin: undefined, service: "API", rpc: "toString" }], /^PROXY_ROUTES\[0\]: rpc names a method of your entrypoint/],
    [[{ ...route, origin: undefined, service: "API", rpc: "then" }], /^PROXY_ROUTES\[0\]: rpc names a method of your entrypoint/],
    [[{ ...route, methods: ["GET"], origin: undefined, service: "API", rpc: "handle", websocket: true, scope: "realtime" }], /^PROXY_ROUTES\[0\]: a websocket route is relayed over HTTP: no rpc/],
  ])("names what is wrong: %j", (value, message) => {
    expectConfigError(value, message);
  });
});

const agents = { ...route, name: "agents", path: "/v1/agents/:agentId", resource: { type: "agent", param: "agentId" } };

describe("route-table parameters and resources", () => {
  it.each([
    [{ ...route, path: "/v1/agents/:1st" }, /^PROXY_ROUTES\[0\]\.path: route "q": ":1st" is not a :name segment/],
    [{ ...route, path: "/v1/agents/:" }, /^PROXY_ROUTES\[0\]\.path: route "q": ":" is not a :name segment/],
    [{ ...route, path: `/v1/agents/:${"a".repeat(33)}` }, /^PROXY_ROUTES\[0\]\.path: route "q": .* is not a :name segment/],
    [{ ...route, path: "/v1/agents/:agent-id" }, /^PROXY_ROUTES\[0\]\.path: route "q": ":agent-id" is not a :name segment/],
    [{ ...route, path: "/v1/agents/a:b" }, /^PROXY_ROUTES\[0\]\.path: route "q": "a:b" is not a :name segment/],
    [{ ...route, path: "/v1/:anything" }, /^PROXY_ROUTES\[0\]\.path: route "q": the first segment after \/v1 must be literal/],
    [{ ...route, path: "/v1/x/:id/y/:id" }, /^PROXY_ROUTES\[0\]\.path: route "q": parameter :id appears twice/],
    [{ ...route, path: "/v1/agents/{agentId}" }, /^PROXY_ROUTES\[0\]\.path: must be a path under \/v1\//],
    [{ ...agents, resource: { type: "agent", param: "id" } }, /^PROXY_ROUTES\[0\]\.resource: route "agents": resource\.param "id" is not a :name segment of \/v1\/agents\/:agentId/],
    [{ ...agents, path: "/v1/agents" }, /^PROXY_ROUTES\[0\]\.resource: route "agents": resource\.param "agentId" is not a :name segment/],
    [{ ...agents, resource: { type: "Agent", param: "agentId" } }, /^PROXY_ROUTES\[0\]\.resource\.type: must be 1-32 of a-z/],
    [{ ...agents, resource: { type: "agent.x", param: "agentId" } }, /^PROXY_ROUTES\[0\]\.resource\.type: /],
    [{ ...agents, resource: { type: "agent" } }, /^PROXY_ROUTES\[0\]\.resource\.param: /],
    [{ ...agents, resource: { type: "agent", param: "agentId", extra: 1 } }, /^PROXY_ROUTES\[0\]\.resource: /],
    [{ ...agents, resource: { type: "mcp_tool", param: "agentId" } }, /^PROXY_ROUTES\[0\]\.resource: route "agents": resource type mcp_tool is reserved/],
  ])("names the route and what is wrong: %j", (value, message) => {
    expect(() => routeTable({ PROXY_ROUTES: [value] })).toThrow(ConfigError);
    expect(() => routeTable({ PROXY_ROUTES: [value] })).toThrow(message);
  });

  it("two paths that differ only in their parameters' names are one path: refused, both routes named", () => {
    const renamed = { ...agents, name: "agents-2", path: "/v1/agents/:id", resource: { type: "agent", param: "id" } };
    expect(() => routeTable({ PROXY_ROUTES: [agents, renamed] })).toThrow(
      /^PROXY_ROUTES: route paths must be unique: "agents" and "agents-2" \(\/v1\/agents\/:agentId and \/v1\/agents\/:id differ only in parameter names\)/,
    );
    // A literal where the other has a parameter is another path: both stand, the literal first...
    const plain = { ...agents, resource: undefined };
    expect(routeTable({ PROXY_ROUTES: [plain, { ...route, name: "special", path: "/v1/agents/special" }] }).map((r) => r.name)).toEqual(["special", "agents"]);
  });

  it("a route that would take a resource route's paths without checking its resource is refused", () => {
    // ...unless that other path is a resource route's: then agent "special" would skip the check.
    expect(() => routeTable({ PROXY_ROUTES: [agents, { ...route, name: "special", path: "/v1/agents/special" }] })).toThrow(/route "special" takes paths of "agents" without checking its resource/);
    expect(() => routeTable({ PROXY_ROUTES: [agents, { ...route, name: "runs", path: "/v1/agents/:agentId/runs" }] })).toThrow(/route "runs" takes paths of "agents"/);
    expect(() => routeTable({ PROXY_ROUTES: [agents, { ...route, name: "runs", path: "/v1/agents/:agentId/runs", resource: { type: "flow", param: "agentId" } }] })).toThrow(/route "runs"/);
    // The same resource on the same segment is fine, and so is a shorter or unrelated route.
    const runs = { ...route, name: "runs", path: "/v1/agents/:id/runs", resource: { type: "agent", param: "id" } };
    expect(routeTable({ PROXY_ROUTES: [agents, runs, { ...route, name: "all", path: "/v1/agents" }, { ...route, name: "flows", path: "/v1/flows/:f" }] }).map((r) => r.name)).toEqual(["runs", "agents", "flows", "all"]);
  });
});

describe("other settings", () => {
  it("CORS_ORIGINS never allows '*' and ignores blanks", () => {
    expect([...corsOrigins(" https://a.example , *, ,https://b.example")]).toEqual(["https://a.example", "https://b.example"]);
  });

  it("JOB_STUCK_AFTER_SECONDS that is not a positive number keeps the default rather than switching the sweep off", () => {
    expect(stuckAfterMs("60")).toBe(60_000);
    expect(stuckAfterMs("-5")).toBe(900_000);
    expect(stuckAfterMs("soon")).toBe(900_000);
    expect(stuckAfterMs(undefined)).toBe(900_000);
  });
});

const tool = { name: "q", description: "Runs q.", inputSchema: { type: "object" } };

describe("route-table MCP tools", () => {
  it.each([
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "string" } } }], /^PROXY_ROUTES\[0\]\.mcp\.inputSchema: must be a JSON Schema with type = "object"/],
    [[{ ...route, mcp: { ...tool, name: "has space" } }], /^PROXY_ROUTES\[0\]\.mcp\.name: must be 1 to 64 of/],
    [[{ ...route, mcp: { ...tool, name: "-dash" } }], /^PROXY_ROUTES\[0\]\.mcp\.name: must be 1 to 64 of .*not starting or ending/],
    [[{ ...route, mcp: { ...tool, name: "constructor" } }], /^PROXY_ROUTES\[0\]\.mcp\.name: is a name JavaScript objects already use/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", properties: { a: null } } } }], /inputSchema\.properties\.a is not a schema/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", properties: 5 } } }], /inputSchema\.properties must be an object of schemas/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", required: "a" } } }], /inputSchema\.required must be a list of names/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", properties: { a: { $ref: "#/$defs/nope" } } } } }], /inputSchema\.properties\.a\.\$ref must point inside the schema/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", properties: { a: { $ref: "https://example.com/s.json" } } } } }], /\$ref must point inside the schema/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", properties: { a: { type: "string", pattern: "(" } } } } }], /inputSchema\.properties\.a\.pattern is not a regular expression/],
    [[{ ...route, mcp: { ...tool, inputSchema: { type: "object", anyOf: [{ type: "object" }, 7] } } }], /inputSchema\.anyOf\[1\] is not a schema/],
    [[{ ...route, mcp: { name: "q", inputSchema: { type: "object" } } }], /^PROXY_ROUTES\[0\]\.mcp\.description: /],
    [[{ ...route, mcp: { ...tool, extra: 1 } }], /^PROXY_ROUTES\[0\]\.mcp: /],
    [[{ ...route, methods: ["GET"], mcp: tool }], /^PROXY_ROUTES\[0\]\.mcp: route "q": a tool is called with POST/],
    [[{ ...agents, methods: ["POST"], mcp: tool }], /^PROXY_ROUTES\[0\]\.mcp: route "agents": a tool's path cannot have :name segments/],
    [[{ ...route, methods: ["GET"], websocket: true, mcp: tool }], /^PROXY_ROUTES\[0\]\.mcp: route "q": a websocket route cannot be a tool/],
    [[{ ...route, contentTypes: ["text/plain"], mcp: tool }], /^PROXY_ROUTES\[0\]\.mcp: route "q": a tool sends its arguments as JSON/],
    [[{ ...route, path: "/v1/mcp", mcp: tool }], /^PROXY_ROUTES\[0\]\.mcp: route "q": \/v1\/mcp is the MCP endpoint itself/],
    [[{ ...route, mcp: tool }, { ...route, name: "q2", path: "/v1/q2", mcp: tool }], /^PROXY_ROUTES: MCP tool names must be unique/],
  ])("a tool the gateway could not serve is a deploy error: %j", (value, message) => {
    expectConfigError(value, message);
  });

  it("a schema with local references, patterns and nesting is taken", () => {
    const inputSchema = {
      type: "object",
      $defs: { sku: { type: "string", pattern: "^[a-z]-\\d+$" } },
      properties: { skus: { type: "array", items: { $ref: "#/$defs/sku" } }, mode: { anyOf: [{ const: "a" }, { const: "b" }] } },
      required: ["skus"],
    };
    expect(routeTable({ PROXY_ROUTES: [{ ...route, mcp: { ...tool, inputSchema } }] })[0]!.mcp!.inputSchema).toEqual(inputSchema);
  });

  it("a tool's defaults: not read-only", () => {
    const [parsed] = routeTable({ PROXY_ROUTES: [{ ...route, mcp: tool }] });
    expect(parsed!.mcp).toEqual({ ...tool, readOnly: false });
  });
});

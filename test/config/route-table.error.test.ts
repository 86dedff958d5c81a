// A broken route table is an operator's mistake, found once per isolate: the error names the
// setting and the entry, and a table that parses is parsed once, not per request.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/per-value.ts";
import { routeTable } from "../../src/config/route-table.ts";
import { corsOrigins, stuckAfterMs } from "../../src/config/settings.ts";

const route = { name: "q", path: "/v1/q", methods: ["POST"], origin: "ORIGIN_Q_URL", scope: "query" };

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
  ])("names what is wrong: %j", (value, message) => {
    let thrown: unknown;
    try {
      routeTable({ PROXY_ROUTES: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(message);
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

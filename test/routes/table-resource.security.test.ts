// What a client can put where a route names a resource: encoded separators and dots, stray escapes,
// keys, non-ASCII, overlong ids. Each is a 4xx problem before anything is forwarded, never a 500;
// whatever is forwarded carries exactly the decoded segment as its resource, signed.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RESOURCE_ID } from "../../src/keys/access-rules.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let client: { key: string; id: string };
let outsider: { key: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  client = await createKey(admin, { scopes: ["query"] });
  outsider = await createKey(admin, { scopes: ["jobs:read"] });
});

async function problemOf(res: Response): Promise<{ status: number; type: string; fromOrigin: boolean }> {
  const fromOrigin = res.headers.get("x-origin") !== null;
  const body = await res.text();
  return { status: res.status, type: fromOrigin ? "" : (JSON.parse(body).type as string), fromOrigin };
}

describe("ids in a resource route's path", () => {
  it.each([
    ["/v1/agents/a%2Fb", "bad-request"],
    ["/v1/agents/a%2fb/runs", "bad-request"],
    ["/v1/agents/a%2eb", "bad-request"],
    ["/v1/agents/%2E%2E%2E", "bad-request"],
    ["/v1/agents/a%5Cb", "bad-request"],
    ["/v1/agents/a%252Fb", "bad-request"],
    ["/v1/agents/a;b", "bad-request"],
    ["/v1/agents/%C0%AE%C0%AE", "bad-request"],
    ["/v1/agents/%EF%BC%8E%EF%BC%8E", "bad-request"],
    ["/v1/agents/a%00b", "bad-request"],
  ])("%s: refused by url-hygiene (400 %s), never forwarded", async (path, kind) => {
    const res = await call(path, { key: client.key });
    expect(await problemOf(res)).toEqual({ status: 400, type: `https://keygate.dev/problems/${kind}`, fromOrigin: false });
  });

  it("an encoded dot segment is resolved by the URL parser first (as the origin's would): another path, never the agent route", async () => {
    // /v1/agents/%2e%2e is /v1, and /v1/agents/%2E%2E/keys is /v1/keys, a code route.
    expect(await problemOf(await call("/v1/agents/%2e%2e", { key: client.key }))).toEqual({ status: 404, type: "https://keygate.dev/problems/not-found", fromOrigin: false });
    expect(await problemOf(await call("/v1/agents/%2E%2E/keys", { key: client.key }))).toEqual({
      status: 403,
      type: "https://keygate.dev/problems/insufficient-scope",
      fromOrigin: false,
    });
  });

  it.each([
    ["/v1/agents/a%20b"],
    ["/v1/agents/%ZZ"],
    ["/v1/agents/%E2%80%AEa"],
    ["/v1/agents/%C3%A9t%C3%A9"],
    ["/v1/agents/{agentId}"],
    ["/v1/agents/a=b"],
    [`/v1/agents/${"a".repeat(129)}`],
    ["/v1/agents/a%2Cb"],
  ])("%s: not an id, 400 bad-request after the scope check, never forwarded", async (path) => {
    const res = await call(path, { key: client.key });
    expect(await problemOf(res)).toEqual({ status: 400, type: "https://keygate.dev/problems/bad-request", fromOrigin: false });
    // A key without the route's scope hears about the scope first, as on a code route's {id}.
    expect((await problemOf(await call(path, { key: outsider.key }))).status).toBe(403);
  });

  it("an API key as the id is refused as a key in the URL, and never logged or forwarded", async () => {
    const res = await call(`/v1/agents/${client.key}`, { key: client.key });
    expect(await problemOf(res)).toEqual({ status: 400, type: "https://keygate.dev/problems/invalid-request", fromOrigin: false });
  });

  it("the longest id there is (128) is one", async () => {
    const id = "a".repeat(128);
    const seen = await json(await call(`/v1/agents/${id}`, { key: client.key }));
    expect(seen.identity.resource).toEqual({ type: "agent", id });
  });

  it("property: any path segment is forwarded with exactly its decoded id, or refused with a 4xx problem; never a 5xx", async () => {
    const alphabet = [..."aZ09._:~@-!$&'()*+,=;%/?#\\ \"<>^`{|}ü€", "%2F", "%2e", "%25", "%40", "%3A", "%7E", "%ZZ", "%C0%AE", "%E2%80%AE", "%F0%9F%98%80", "%00", "%0A"];
    const segment = fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 12 }).map((parts) => parts.join("")) },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:~@-]{1,140}$/) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 20 }) },
    );
    let forwarded = 0;
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom("", "/runs", "/"), async (seg, rest) => {
        let url: URL;
        try {
          url = new URL(`https://gw.test/v1/agents/${seg}${rest}`);
        } catch {
          return; // not a URL a client could send
        }
        const res = await call(url.pathname + url.search, { key: client.key });
        const body = await res.text();
        expect(res.status, `${url.pathname}: ${body}`).toBeLessThan(500);
        if (res.headers.get("x-origin") === "echo") {
          forwarded++;
          const seen = JSON.parse(body);
          expect(seen.verified, seen.reason).toBe(true);
          expect(seen.path).toBe(url.pathname);
          const raw = url.pathname.split("/")[3]!;
          const id = seen.identity.resource.id as string;
          expect(RESOURCE_ID.test(id)).toBe(true);
          expect(id).toBe(decodeURIComponent(raw));
          expect(seen.headers["x-keygate-resource"]).toBe(`agent=${id}`);
        } else {
          expect(res.status, `${url.pathname}: ${body}`).toBeGreaterThanOrEqual(400);
          expect(res.headers.get("content-type"), url.pathname).toContain("application/problem+json");
        }
      }),
      { numRuns: 250 },
    );
    expect(forwarded).toBeGreaterThan(20);
  }, 120_000);
});

// The access log on the edge: a line for every refusal and error, and for the share of successful
// requests ACCESS_LOG_SUCCESS_SAMPLE asks for (0.01 as shipped; the tests and `npm run dev` log all).
import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/index.ts";
import { BASE, createKey, platformKey, tenantWithAdmin } from "../../support/gateway.ts";
import { captureLogs } from "../../support/hostile.ts";

let key: string;
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  key = (await createKey(admin, { scopes: ["query"] })).key;
});
afterEach(() => vi.restoreAllMocks());

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});

const requestLines = () => logs.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((l) => l.event === "request");

/** The access-log lines one request wrote, under the given sample setting. */
async function linesFor(sample: string, path: string, withKey = true): Promise<Record<string, unknown>[]> {
  const requestId = `log-${crypto.randomUUID()}`;
  const headers: Record<string, string> = { "cf-connecting-ip": "198.51.100.61", "x-request-id": requestId };
  if (withKey) headers.authorization = `Bearer ${key}`;
  const res = await worker.fetch(new Request(BASE + path, { headers }), { ...env, ACCESS_LOG_SUCCESS_SAMPLE: sample } as Env, createExecutionContext());
  await res.arrayBuffer();
  // A line is written once the request's background work is done: a marker request's line,
  // written after it, says it would have been there by now.
  const marker = `mark-${crypto.randomUUID()}`;
  await worker.fetch(new Request(BASE + "/v1/echo/ok", { headers: { "cf-connecting-ip": "198.51.100.61", "x-request-id": marker } }), env, createExecutionContext());
  await vi.waitFor(() => expect(requestLines().some((l) => l.requestId === marker)).toBe(true), { timeout: 3000 });
  await new Promise((r) => setTimeout(r, 50));
  return requestLines().filter((l) => l.requestId === requestId);
}

describe("the access log's sample", () => {
  it("0: no line for a success, a line for every refusal", async () => {
    expect(await linesFor("0", "/v1/echo/ok")).toEqual([]);
    const refused = await linesFor("0", "/v1/echo/ok", false);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 401, problem: "missing-credential" });
    expect(await linesFor("0", "/v1/no-such-route")).toMatchObject([{ status: 404 }]);
  });

  it("1: a line for every success", async () => {
    expect(await linesFor("1", "/v1/echo/ok")).toMatchObject([{ status: 200, path: "/v1/echo/ok" }]);
  });

  it("a share in between: about that share of successes", async () => {
    const random = vi.spyOn(Math, "random");
    random.mockReturnValue(0.004);
    expect(await linesFor("0.01", "/v1/echo/ok")).toHaveLength(1);
    random.mockReturnValue(0.5);
    expect(await linesFor("0.01", "/v1/echo/ok")).toHaveLength(0);
  });

  it("a value that is not a share logs every line, and says so", async () => {
    expect(await linesFor("half", "/v1/echo/ok")).toMatchObject([{ status: 200 }]);
    expect(logs.lines.some((l) => l.includes('"config.invalid"') && l.includes("ACCESS_LOG_SUCCESS_SAMPLE"))).toBe(true);
  });
});

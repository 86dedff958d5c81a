// A WebSocket route refusing: before the upgrade with RFC 9457 problems (credential, scope, no
// Upgrade, wrong method, an origin that refuses, is down or is slow, too many open connections),
// and after it with close codes (rate limited 4029, message too big 1009, origin dropped 1011).
import { beforeAll, describe, expect, it } from "vitest";
import { problemType, type ProblemKind } from "../../src/core/problem.ts";
import { generateKey } from "../../src/keys/format.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { nextMessages, openSocket, type Opened } from "../support/realtime.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

async function realtimeKey(body: Record<string, unknown> = {}, tenantBody: Record<string, unknown> = {}) {
  const { admin } = await tenantWithAdmin(platform, tenantBody);
  const k = await createKey(admin, { scopes: ["realtime"], ...body });
  return { ...k, admin };
}

/** A refusal before the upgrade: no socket, a problem of `kind` with its status, type and detail. */
async function expectProblem(res: Response, kind: ProblemKind, status: number) {
  expect(res.webSocket).toBeNull();
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = await json(res);
  expect(body).toMatchObject({ type: problemType(kind), status });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  return body;
}

/** The close event itself (the support helper's `closed` also resolves on an error event). */
function closeEvent(o: Opened, ms = 3000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    o.ws!.addEventListener("close", (ev) => {
      clearTimeout(timer);
      resolve({ code: ev.code, reason: ev.reason });
    });
  });
}

describe("refused before the upgrade", () => {
  it("no credential: 401 missing-credential with a bare Bearer challenge", async () => {
    const o = await openSocket("/v1/realtime/echo");
    await expectProblem(o.res, "missing-credential", 401);
    expect(o.res.headers.get("www-authenticate")).toBe('Bearer realm="keygate"');
  });

  it("malformed key: 401 malformed-key", async () => {
    for (const key of ["nope", "kg_live_abc"]) {
      const o = await openSocket("/v1/realtime/echo", { key });
      await expectProblem(o.res, "malformed-key", 401);
      expect(o.res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    }
  });

  it("unknown key: 401 unknown-key", async () => {
    const o = await openSocket("/v1/realtime/echo", { key: generateKey("live") });
    await expectProblem(o.res, "unknown-key", 401);
  });

  it("revoked key: 401 revoked-key", async () => {
    const k = await realtimeKey();
    const first = await openSocket("/v1/realtime/echo", { key: k.key });
    expect(first.res.status).toBe(101);
    first.ws!.close(1000, "done");
    expect((await call(`/v1/keys/${k.id}/revoke`, { key: k.admin, body: {} })).status).toBe(200);
    const o = await openSocket("/v1/realtime/echo", { key: k.key });
    await expectProblem(o.res, "revoked-key", 401);
  });

  it("a key without the realtime scope: 403 insufficient-scope naming it", async () => {
    const k = await realtimeKey({ scopes: ["query"] });
    const o = await openSocket("/v1/realtime/echo", { key: k.key });
    const body = await expectProblem(o.res, "insufficient-scope", 403);
    expect(body.detail).toContain("realtime");
    expect(o.res.headers.get("www-authenticate")).toMatch(/scope="realtime"/);
  });

  it("a GET without Upgrade: 426 upgrade-required, naming websocket", async () => {
    const k = await realtimeKey();
    for (const path of ["/v1/realtime", "/v1/realtime/echo"]) {
      const res = await call(path, { key: k.key });
      await expectProblem(res, "upgrade-required", 426);
      expect(res.headers.get("upgrade")).toBe("websocket");
    }
  });

  // Without Upgrade: workerd delivers any request that carries Upgrade: websocket as a GET (its
  // handshake is always one), so a POST "upgrade" cannot reach the Worker as a POST at all.
  it("POST (or PUT, DELETE): 405 allowing GET only", async () => {
    const k = await realtimeKey();
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await call("/v1/realtime/echo", { key: k.key, method, ...(method === "DELETE" ? {} : { body: "{}" }) });
      await expectProblem(res, "method-not-allowed", 405);
      expect(res.headers.get("allow")).toBe("GET");
    }
  });

  it("the origin refuses the upgrade: 502 origin-unreachable naming its HTTP 403", async () => {
    const k = await realtimeKey();
    const o = await openSocket("/v1/realtime/refuse", { key: k.key });
    const body = await expectProblem(o.res, "origin-unreachable", 502);
    expect(body.detail).toContain("HTTP 403");
    expect(body["origin-status"]).toBe(403);
    // Generated by the gateway, not passed through: the origin's own body and headers stay out.
    expect(JSON.stringify(body)).not.toContain("refused by the test origin");
    expect(o.res.headers.get("x-origin")).toBeNull();
  });

  it("no WebSocket at the origin's path: 502 naming its HTTP 404", async () => {
    const k = await realtimeKey();
    const o = await openSocket("/v1/realtime/nowhere", { key: k.key });
    const body = await expectProblem(o.res, "origin-unreachable", 502);
    expect(body.detail).toContain("HTTP 404");
  });

  it("the origin is down: 502 origin-unreachable", async () => {
    const k = await realtimeKey();
    const o = await openSocket("/v1/realtime-down/x", { key: k.key });
    await expectProblem(o.res, "origin-unreachable", 502);
  });

  it("the origin never answers: 504 origin-timeout after the route's 300 ms", async () => {
    const k = await realtimeKey();
    const started = Date.now();
    const o = await openSocket("/v1/realtime-slow/x", { key: k.key });
    const elapsed = Date.now() - started;
    const body = await expectProblem(o.res, "origin-timeout", 504);
    expect(body.detail).toContain("300 ms");
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
  });

  it("a key at its plan's connection limit (free: 5): 429 too-many-connections; closing one frees a slot", async () => {
    const k = await realtimeKey({}, { plan: "free" });
    const open: Opened[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await openSocket("/v1/realtime/echo", { key: k.key });
      expect(o.res.status, `connection ${i + 1}`).toBe(101);
      open.push(o);
    }
    const sixth = await openSocket("/v1/realtime/echo", { key: k.key });
    const body = await expectProblem(sixth.res, "too-many-connections", 429);
    expect(body.limit).toBe(5);
    expect(body.detail).toContain("5");

    // The five still work.
    open[4]!.ws!.send("alive");
    expect(await nextMessages(open[4]!, 1)).toEqual(["alive"]);

    const closing = closeEvent(open[0]!);
    open[0]!.ws!.close(1000, "done");
    await closing;
    // The link's close reaches the key's object asynchronously: allow it a moment.
    let again: Opened | undefined;
    for (const until = Date.now() + 2000; Date.now() < until; ) {
      again = await openSocket("/v1/realtime/echo", { key: k.key });
      if (again.res.status === 101) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(again!.res.status).toBe(101);
    again!.ws!.send("freed");
    expect(await nextMessages(again!, 1)).toEqual(["freed"]);
    // And the slot is taken again.
    await expectProblem((await openSocket("/v1/realtime/echo", { key: k.key })).res, "too-many-connections", 429);
    for (const o of [...open.slice(1), again!]) o.ws!.close(1000, "done");
  });

  it("upgrades the origin refused, could not reach or timed out do not hold connection slots", async () => {
    const k = await realtimeKey({}, { plan: "free" });
    for (const path of ["/v1/realtime/refuse", "/v1/realtime-down/x", "/v1/realtime-slow/x", "/v1/realtime/refuse", "/v1/realtime-down/x", "/v1/realtime/refuse"]) {
      expect((await openSocket(path, { key: k.key })).res.status, path).toBeGreaterThanOrEqual(502);
    }
    const open: Opened[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await openSocket("/v1/realtime/echo", { key: k.key });
      expect(o.res.status, `connection ${i + 1}`).toBe(101);
      open.push(o);
    }
    for (const o of open) o.ws!.close(1000, "done");
  });
});

describe("ended after the upgrade", () => {
  it("a client over its rate limit: close 4029 'rate limited; retry after N s'; the messages admitted before were relayed", async () => {
    // A bucket of 3: the upgrade spends 1, two messages the rest, the third is refused.
    const k = await realtimeKey({ rateLimit: { capacity: 3, refillPerSecond: 0.1 } });
    const o = await openSocket("/v1/realtime/echo", { key: k.key });
    expect(o.res.status).toBe(101);
    const closing = closeEvent(o);
    o.ws!.send("m1");
    o.ws!.send("m2");
    expect(await nextMessages(o, 2)).toEqual(["m1", "m2"]);
    for (let i = 3; i <= 6; i++) o.ws!.send(`m${i}`);
    const closed = await closing;
    expect(closed.code).toBe(4029);
    const m = /^rate limited; retry after (\d+) s$/.exec(closed.reason);
    expect(m, closed.reason).not.toBeNull();
    // Refill 0.1/s: a token is at most 10 s away.
    expect(Number(m![1])).toBeGreaterThanOrEqual(1);
    expect(Number(m![1])).toBeLessThanOrEqual(10);
    expect(o.messages).toEqual(["m1", "m2"]);
  });

  it("a message over the route's 65536 bytes: close 1009, and it never reaches the origin", async () => {
    const k = await realtimeKey();
    for (const big of [new Uint8Array(65537), "x".repeat(65537), "é".repeat(32769)]) {
      const o = await openSocket("/v1/realtime/echo", { key: k.key });
      const closing = closeEvent(o);
      o.ws!.send("small");
      await nextMessages(o, 1);
      o.ws!.send(big);
      const closed = await closing;
      expect(closed.code).toBe(1009);
      expect(closed.reason).toContain("65536");
      await new Promise((r) => setTimeout(r, 50));
      expect(o.messages).toEqual(["small"]);
    }
  });

  it("the origin drops the TCP connection: close 1011", async () => {
    const k = await realtimeKey();
    const o = await openSocket("/v1/realtime/drop", { key: k.key });
    expect(o.res.status).toBe(101);
    const closing = closeEvent(o);
    o.ws!.send("bye");
    const closed = await closing;
    expect(closed.code).toBe(1011);
    expect(closed.reason).toMatch(/origin/);
  });
});

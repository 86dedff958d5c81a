import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { problemType, type ProblemKind } from "../../src/core/problem.ts";
import { call, json, storeCounts } from "../support/gateway.ts";
import { limiterStub } from "../support/limits.ts";
import { openSocket } from "../support/realtime.ts";
import { mint, openWithTicket, realtimeKey, ticketFor } from "../support/tickets.ts";

/** A refusal as RFC 9457 problem details of `kind`: the body, for the detail. */
async function refused(res: Response, kind: ProblemKind, status: number): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.type).toBe(problemType(kind));
  expect(body.status).toBe(status);
  return body;
}

const ECHO = "/v1/realtime/echo";

describe("redeeming a ticket", () => {
  it("a ticket opens one connection: reused, it is refused 401 invalid-ticket", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const first = await openWithTicket(ECHO, ticket);
    expect(first.res.status).toBe(101);
    const again = await openWithTicket(ECHO, ticket);
    expect(again.ws).toBeNull();
    const body = await refused(again.res, "invalid-ticket", 401);
    expect(body.detail).toMatch(/one connection/);
    expect(again.res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    first.ws!.close(1000);
  });

  it("an expired ticket is refused 401, saying it expired, and is spent", async () => {
    const { key, keyId } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    // Age the stored ticket rather than wait a minute: expiry is the object's decision.
    const aged = await runInDurableObject(limiterStub(keyId), (_o, state) => {
      const kv = state.storage.kv;
      let n = 0;
      for (const [name, stored] of [...kv.list<{ expiresAt: number }>({ prefix: "ticket:" })]) {
        kv.put(name, { ...stored, expiresAt: Date.now() - 1 });
        n++;
      }
      return n;
    });
    expect(aged).toBe(1);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.ws).toBeNull();
    expect((await refused(o.res, "invalid-ticket", 401)).detail).toMatch(/expired/);
    const again = await openWithTicket(ECHO, ticket);
    expect((await refused(again.res, "invalid-ticket", 401)).detail).not.toMatch(/expired/);
  });

  it("a ticket tried on another path is refused 401, and is then spent for its own path too", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const wrong = await openWithTicket("/v1/realtime/identity", ticket);
    expect(wrong.ws).toBeNull();
    expect((await refused(wrong.res, "invalid-ticket", 401)).detail).toMatch(/another path/);
    const right = await openWithTicket(ECHO, ticket);
    expect(right.ws).toBeNull();
    await refused(right.res, "invalid-ticket", 401);
  });

  it("a path that differs only by a trailing segment is another path", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const o = await openWithTicket(`${ECHO}/more`, ticket);
    await refused(o.res, "invalid-ticket", 401);
  });

  it("a value not shaped like a ticket is refused 401 invalid-ticket", async () => {
    for (const bad of ["kgt_nope", "kgt_key_abc_short", "nope", `kgt_key_abc_${"a".repeat(33)}`]) {
      const o = await openWithTicket(ECHO, bad);
      expect(o.ws, bad).toBeNull();
      expect((await refused(o.res, "invalid-ticket", 401)).detail, bad).toMatch(/format/);
    }
  });

  it("a well-formed ticket nobody issued (its MAC wrong) is refused 401 invalid-ticket", async () => {
    const { keyId } = await realtimeKey();
    const o = await openWithTicket(ECHO, `kgt_${keyId}_${"A".repeat(32)}_${"0".repeat(32)}`);
    // Refused offline, as a key with a wrong checksum is: no object (nor any store) was asked.
    expect(storeCounts(o.res)).toMatchObject({ "do-call": 0, "d1-read": 0, "kv-read": 0 });
    await refused(o.res, "invalid-ticket", 401);
  });
});

describe("where a ticket is not accepted", () => {
  it("a GET without Upgrade carrying a ticket is refused 400 invalid-request, and leaves the ticket unspent", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const res = await call(`${ECHO}?ticket=${ticket}`);
    expect((await refused(res, "invalid-request", 400)).detail).toMatch(/upgrade/i);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.res.status).toBe(101);
    o.ws!.close(1000);
  });

  it("a ticket on another method or route (minting with a ticket) is refused 400", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const res = await call(`/v1/realtime/tickets?ticket=${ticket}`, { body: { path: ECHO } });
    await refused(res, "invalid-request", 400);
    const other = await call(`/v1/auth/me?ticket=${ticket}`);
    await refused(other, "invalid-request", 400);
  });

  it("a ticket together with an API key is refused 400 invalid-request, and leaves the ticket unspent", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const both = await openSocket(`${ECHO}?ticket=${ticket}`, { key });
    expect(both.ws).toBeNull();
    expect((await refused(both.res, "invalid-request", 400)).detail).toMatch(/one credential/);
    const viaHeader = await openSocket(`${ECHO}?ticket=${ticket}`, { headers: { "x-api-key": key } });
    await refused(viaHeader.res, "invalid-request", 400);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.res.status).toBe(101);
    o.ws!.close(1000);
  });

  it("two ticket params are refused 400 invalid-request", async () => {
    const { key } = await realtimeKey();
    const [a, b] = await Promise.all([ticketFor(key, ECHO), ticketFor(key, ECHO)]);
    const two = await openSocket(`${ECHO}?ticket=${a}&ticket=${b}`);
    expect(two.ws).toBeNull();
    await refused(two.res, "invalid-request", 400);
    const same = await openSocket(`${ECHO}?ticket=${a}&ticket=${a}`);
    await refused(same.res, "invalid-request", 400);
  });

  it("an empty ticket param does not open", async () => {
    const o = await openSocket(`${ECHO}?ticket=`);
    expect(o.ws).toBeNull();
    await refused(o.res, "invalid-request", 400);
  });
});

describe("minting a ticket", () => {
  it("for a route that is not a WebSocket is refused 404", async () => {
    const { key } = await realtimeKey(["realtime", "query"]);
    for (const path of ["/v1/query", "/v1/echo", "/v1/nowhere"]) {
      const body = await refused(await mint(key, path), "not-found", 404);
      expect(body.detail, path).toMatch(/not a WebSocket route/);
    }
  });

  it("without the route's scope is refused 403 insufficient-scope", async () => {
    const { key } = await realtimeKey(["query"]);
    const res = await mint(key, ECHO);
    await refused(res, "insufficient-scope", 403);
    expect(res.headers.get("www-authenticate")).toMatch(/scope="realtime"/);
  });

  it("with a body that is not a path under /v1 is refused 422", async () => {
    const { key } = await realtimeKey();
    const bodies: unknown[] = [
      { path: "/admin" },
      { path: "realtime/echo" },
      { path: "https://gw.test/v1/realtime/echo" },
      { path: `${ECHO}?room=1` },
      { path: `${ECHO}#x` },
      { path: 42 },
      {},
      { path: ECHO, extra: true },
    ];
    for (const body of bodies) {
      const res = await call("/v1/realtime/tickets", { key, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });

  it("without a key is refused 401", async () => {
    const res = await mint(undefined, ECHO);
    await refused(res, "missing-credential", 401);
  });

  it("with an unknown key is refused 401", async () => {
    const res = await mint(`kg_live_${"A".repeat(40)}`, ECHO);
    expect(res.status).toBe(401);
  });

  it("for the other WebSocket routes of the table works (realtime-slow)", async () => {
    const { key } = await realtimeKey();
    const res = await mint(key, "/v1/realtime-slow");
    expect(res.status).toBe(201);
    expect((await json(res)).path).toBe("/v1/realtime-slow");
  });
});

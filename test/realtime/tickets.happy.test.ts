import { describe, expect, it } from "vitest";
import { json } from "../support/gateway.ts";
import { nextMessages } from "../support/realtime.ts";
import { mint, openWithTicket, realtimeKey, ticketFor } from "../support/tickets.ts";

describe("POST /v1/realtime/tickets", () => {
  it("answers 201 with a ticket for the path, expiring within 60 s, never cached", async () => {
    const { key, keyId } = await realtimeKey();
    const before = Date.now();
    const res = await mint(key, "/v1/realtime/echo");
    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual(["expiresAt", "path", "ticket"]);
    expect(body.path).toBe("/v1/realtime/echo");
    expect(body.ticket).toMatch(new RegExp(`^kgt_${keyId}_[0-9A-Za-z]{32}_[0-9a-f]{32}$`));
    const expiresAt = Date.parse(body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 60_000);
  });

  it("gives a different ticket each time", async () => {
    const { key } = await realtimeKey();
    const a = await ticketFor(key, "/v1/realtime/echo");
    const b = await ticketFor(key, "/v1/realtime/echo");
    expect(a).not.toBe(b);
  });
});

describe("opening a WebSocket with a ticket", () => {
  it("opens with the ticket alone (101) and relays both ways", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, "/v1/realtime/echo");
    const o = await openWithTicket("/v1/realtime/echo", ticket);
    expect(o.res.status).toBe(101);
    o.ws!.send("hello");
    o.ws!.send(new Uint8Array([7, 8, 9]));
    const [a, b] = await nextMessages(o, 2);
    expect(a).toBe("hello");
    expect([...new Uint8Array(b as ArrayBuffer)]).toEqual([7, 8, 9]);
    o.ws!.close(1000, "bye");
  });

  it("opens one connection per ticket, several at once", async () => {
    const { key } = await realtimeKey();
    const [t1, t2] = await Promise.all([ticketFor(key, "/v1/realtime/echo"), ticketFor(key, "/v1/realtime/echo/room-2")]);
    const [a, b] = await Promise.all([openWithTicket("/v1/realtime/echo", t1), openWithTicket("/v1/realtime/echo/room-2", t2)]);
    expect([a.res.status, b.res.status]).toEqual([101, 101]);
    a.ws!.send("one");
    b.ws!.send("two");
    expect(await nextMessages(a, 1)).toEqual(["one"]);
    expect(await nextMessages(b, 1)).toEqual(["two"]);
    a.ws!.close(1000);
    b.ws!.close(1000);
  });

  it("the origin sees the key's signed identity, and the URL without the ticket but with the other params", async () => {
    const { key, keyId, tenant } = await realtimeKey();
    const ticket = await ticketFor(key, "/v1/realtime/identity");
    const o = await openWithTicket("/v1/realtime/identity?room=7&mode=a%20b", ticket);
    expect(o.res.status).toBe(101);
    const [first] = await nextMessages(o, 1);
    const report = JSON.parse(first as string);
    expect(report.verified, report.reason).toBe(true);
    expect(report.identity).toMatchObject({ keyId, tenantId: tenant.id });
    const url = new URL(report.url);
    expect(url.pathname).toBe("/v1/realtime/identity");
    expect(url.searchParams.has("ticket")).toBe(false);
    expect(url.searchParams.get("room")).toBe("7");
    expect(url.searchParams.get("mode")).toBe("a b");
    expect(report.headers["x-keygate-key-id"]).toBe(keyId);
    o.ws!.close(1000);
  });

  it("the origin's URL has no query at all when the ticket was the only param", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, "/v1/realtime/identity");
    const o = await openWithTicket("/v1/realtime/identity", ticket);
    expect(o.res.status).toBe(101);
    const report = JSON.parse((await nextMessages(o, 1))[0] as string);
    expect(report.verified, report.reason).toBe(true);
    expect(new URL(report.url).search).toBe("");
    o.ws!.close(1000);
  });
});

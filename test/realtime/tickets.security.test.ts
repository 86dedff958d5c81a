import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { randomBase62 } from "../../src/core/base62.ts";
import { problemType } from "../../src/core/problem.ts";
import { REDACTED_TICKET, scrub } from "../../src/core/redact.ts";
import { MAX_LIVE_TICKETS } from "../../src/limits/ticket-store.ts";
import { call, createKey, json } from "../support/gateway.ts";
import { captureLogs, freshIp } from "../support/hostile.ts";
import { limiterStub } from "../support/limits.ts";
import { addOperator, asPerson } from "../support/people.ts";
import { nextMessages, openSocket } from "../support/realtime.ts";
import { mint, openWithTicket, realtimeKey, TICKETS, ticketFor } from "../support/tickets.ts";

const ECHO = "/v1/realtime/echo";
const IDENTITY = "/v1/realtime/identity";
const secretOf = (ticket: string) => ticket.slice(ticket.lastIndexOf("_") + 1);

async function typeOf(res: Response): Promise<string> {
  return (await json(res)).type;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the ticket stays at the gateway", () => {
  it("the origin's upgrade carries neither the ticket nor any credential", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, IDENTITY);
    const o = await openWithTicket(`${IDENTITY}?a=1`, ticket);
    expect(o.res.status).toBe(101);
    const report = JSON.parse((await nextMessages(o, 1))[0] as string);
    const seen = JSON.stringify({ headers: report.headers, rawHeaders: report.rawHeaders, url: report.url });
    expect(seen).not.toContain(secretOf(ticket));
    expect(seen).not.toContain("kgt_");
    expect(seen).not.toContain(key);
    for (const name of ["authorization", "x-api-key", "cookie", "proxy-authorization"]) expect(report.headers[name], name).toBeUndefined();
    o.ws!.close(1000);
  });

  it("a ticket in the URL of an HTTP route is refused before the origin (400), with or without a key", async () => {
    const { key } = await realtimeKey(["realtime", "query"]);
    const ticket = await ticketFor(key, ECHO);
    const withKey = await call(`/v1/echo?ticket=${ticket}`, { key });
    expect(withKey.status).toBe(400);
    expect(withKey.headers.get("x-origin")).toBeNull();
    const alone = await call(`/v1/echo?ticket=${ticket}`);
    expect(alone.status).toBe(400);
    expect(alone.headers.get("x-origin")).toBeNull();
    expect(await alone.text()).not.toContain(secretOf(ticket));
  });

  it("a ticket param whose name is percent-escaped (%74icket) is a ticket too: refused beside a key, never forwarded", async () => {
    // URLSearchParams (and the origin) decode names: "?%74icket=" is "?ticket=" to everyone but a
    // check that reads the raw query.
    const { key } = await realtimeKey(["realtime", "query"]);
    const ticket = await ticketFor(key, ECHO);
    const http = await call(`/v1/echo?%74icket=${ticket}`, { key });
    const body = await http.text();
    expect(body).not.toContain(secretOf(ticket));
    expect(http.status).toBe(400);
    const ws = await openSocket(`${ECHO}?tick%65t=${ticket}`, { key });
    ws.ws?.close(1000);
    expect(ws.res.status).toBe(400);
  });

  it("a ticket in any other query parameter (Ticket=, t=) is refused like a key in the URL, never forwarded", async () => {
    const { key } = await realtimeKey(["realtime", "query"]);
    const ticket = await ticketFor(key, ECHO);
    for (const query of [`?Ticket=${ticket}`, `?t=${ticket}`, `?ticket=${ticket}&other=${ticket}`]) {
      const http = await call(`/v1/echo${query}`, { key });
      expect(http.status, query).toBe(400);
      expect(http.headers.get("x-origin")).toBeNull();
      const ws = await openSocket(`/v1/realtime/identity${query}`, { key });
      ws.ws?.close(1000);
      expect(ws.res.status, query).toBe(400);
    }
    // Never redeemed by those refusals: it still opens its connection.
    const o = await openWithTicket(ECHO, ticket);
    expect(o.res.status).toBe(101);
    o.ws!.close(1000);
  });

  it("the ticket never appears in the Worker's logs or in a refusal's body", async () => {
    const { key } = await realtimeKey();
    const { lines } = captureLogs();
    const mintRes = await mint(key, ECHO);
    const ticket = (await json(mintRes)).ticket as string;
    const spare = await ticketFor(key, ECHO);
    const bodies: string[] = [];
    const o = await openWithTicket(ECHO, ticket);
    expect(o.res.status).toBe(101);
    o.ws!.send("x");
    await nextMessages(o, 1);
    o.ws!.close(1000, "done");
    await o.closed;
    // Refusals log too: a reuse, a wrong path, a ticket beside a key, a ticket without Upgrade.
    for (const res of [
      (await openWithTicket(ECHO, ticket)).res,
      (await openWithTicket(`${ECHO}/elsewhere`, spare)).res,
      (await openSocket(`${ECHO}?ticket=${ticket}`, { key })).res,
      await call(`${ECHO}?ticket=${ticket}`),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      bodies.push(await res.text());
    }
    await new Promise((r) => setTimeout(r, 50));
    vi.restoreAllMocks();
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [secretOf(ticket), secretOf(spare)]) {
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
    }
  });

  it("scrub() redacts ticket-shaped strings wherever they are", () => {
    const ticket = `kgt_key_0123456789abcdef_${"Ab3".repeat(10)}xy`;
    const out = scrub({ url: `/v1/realtime/echo?ticket=${ticket}&b=1`, nested: [{ t: ticket }], n: 1 }) as any;
    expect(JSON.stringify(out)).not.toContain(secretOf(ticket));
    expect(out.url).toBe(`/v1/realtime/echo?ticket=${REDACTED_TICKET}&b=1`);
    expect(out.nested[0].t).toBe(REDACTED_TICKET);
    expect(out.n).toBe(1);
  });
});

describe("keys in the URL of a WebSocket route", () => {
  it("are still refused 400, whether the upgrade holds a ticket or a key in Authorization", async () => {
    const { key } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const cases = [
      openSocket(`${ECHO}?api_key=${key}`),
      openSocket(`${ECHO}?api_key=${key}`, { key }),
      openSocket(`${ECHO}?room=${key}`, { key }),
      openWithTicket(`${ECHO}?api_key=${key}`, ticket),
      openWithTicket(`${ECHO}?access_token=x`, ticket),
      openSocket(`${ECHO}?ticket=${key}`),
      openSocket(`${ECHO}/${key}`, { key }),
    ];
    for (const o of await Promise.all(cases)) {
      expect(o.ws).toBeNull();
      expect(o.res.status).toBe(400);
      expect(await typeOf(o.res)).toBe(problemType("invalid-request"));
    }
    // None of that spent the ticket: it was refused before anyone redeemed it.
    const o = await openWithTicket(ECHO, ticket);
    expect(o.res.status).toBe(101);
    o.ws!.close(1000);
  });
});

describe("a ticket is only as good as its key", () => {
  it("a key revoked after minting: its ticket is refused 401 revoked-key and opens nothing", async () => {
    const { admin, key, keyId } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const revoked = await call(`/v1/keys/${keyId}/revoke`, { key: admin, body: { reason: "test" } });
    expect(revoked.status).toBe(200);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.ws).toBeNull();
    expect(o.res.status).toBe(401);
    expect(await typeOf(o.res)).toBe(problemType("revoked-key"));
  });

  it("a key disabled after minting: its ticket is refused 401 disabled-key", async () => {
    const { admin, key, keyId } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const patched = await call(`/v1/keys/${keyId}`, { method: "PATCH", key: admin, body: { enabled: false } });
    expect(patched.status).toBe(200);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.ws).toBeNull();
    expect(o.res.status).toBe(401);
    expect(await typeOf(o.res)).toBe(problemType("disabled-key"));
  });

  it("a key that lost the scope after minting: its ticket is refused 403", async () => {
    const { admin, key, keyId } = await realtimeKey(["realtime", "query"]);
    const ticket = await ticketFor(key, ECHO);
    const patched = await call(`/v1/keys/${keyId}`, { method: "PATCH", key: admin, body: { scopes: ["query"] } });
    expect(patched.status).toBe(200);
    const o = await openWithTicket(ECHO, ticket);
    expect(o.ws).toBeNull();
    expect(o.res.status).toBe(403);
    expect(await typeOf(o.res)).toBe(problemType("insufficient-scope"));
  });

  it("is bound to its key: the key id swapped for another key's is refused, and the real ticket still opens as its own key", async () => {
    const a = await realtimeKey();
    const b = await createKey(a.admin, { scopes: ["realtime"] });
    const other = await realtimeKey();
    const ticket = await ticketFor(a.key, IDENTITY);
    for (const swappedId of [b.id as string, other.keyId]) {
      const swapped = ticket.replace(a.keyId, swappedId);
      expect(swapped).not.toBe(ticket);
      const o = await openWithTicket(IDENTITY, swapped);
      expect(o.ws).toBeNull();
      expect(o.res.status).toBe(401);
      expect(await typeOf(o.res)).toBe(problemType("invalid-ticket"));
    }
    const real = await openWithTicket(IDENTITY, ticket);
    expect(real.res.status).toBe(101);
    const report = JSON.parse((await nextMessages(real, 1))[0] as string);
    expect(report.verified, report.reason).toBe(true);
    expect(report.identity.keyId).toBe(a.keyId);
    real.ws!.close(1000);
  });
});

describe("who may mint, and how often", () => {
  it("a person signed in through Access cannot mint a ticket: 401 api-key-required", async () => {
    const { platform } = await realtimeKey();
    const op = await addOperator(platform, { role: "owner" });
    const res = await asPerson(op.email, TICKETS, { body: { path: ECHO } });
    expect(res.status).toBe(401);
    expect(await typeOf(res)).toBe(problemType("api-key-required"));
  });

  it(`a key holds at most ${MAX_LIVE_TICKETS} unused tickets: then 429, until some expire`, async () => {
    const { key, keyId } = await realtimeKey();
    const expiresAt = Date.now() + 60_000;
    await runInDurableObject(limiterStub(keyId), (_o, state) => {
      for (let i = 0; i < MAX_LIVE_TICKETS; i++) state.storage.kv.put(`ticket:planted-${i}`, { path: ECHO, hash: "x", expiresAt });
    });
    const full = await mint(key, ECHO);
    expect(full.status).toBe(429);
    expect(full.headers.get("retry-after")).toBe("60");
    expect(await typeOf(full)).toBe(problemType("quota-exceeded"));
    await runInDurableObject(limiterStub(keyId), (_o, state) => {
      state.storage.kv.put("ticket:planted-0", { path: ECHO, hash: "x", expiresAt: Date.now() - 1 });
    });
    expect((await mint(key, ECHO)).status).toBe(201);
  });

  it("guessing tickets is cut off per client address like guessing keys, without spending a real ticket", async () => {
    const { key, keyId } = await realtimeKey();
    const ticket = await ticketFor(key, ECHO);
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const guess = `kgt_${keyId}_${randomBase62(32)}_${"0".repeat(32)}`;
      statuses.push((await openWithTicket(ECHO, guess, { ip })).res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const blocked = await openWithTicket(ECHO, ticket, { ip });
    expect(blocked.res.status).toBe(429);
    const elsewhere = await openWithTicket(ECHO, ticket);
    expect(elsewhere.res.status).toBe(101);
    elsewhere.ws!.close(1000);
  });
});

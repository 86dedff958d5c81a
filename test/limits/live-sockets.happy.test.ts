// The key's object's side of open WebSockets (limits/live-sockets.ts): which links a key's state
// still allows, when the next one must close for an expiry, and the links it opens and counts.
// The verdict is pure; the rest runs on a real key object, its links opened as an isolate opens them.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuthState } from "../../src/limits/protocol.ts";
import { closeDisallowed, LIVE_OPEN_HEADER, nextExpiry, verdictFor, type LiveLink, type LiveOpen } from "../../src/limits/live-sockets.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");

function auth(over: Partial<AuthState> = {}): AuthState {
  return { version: 1, revokedAt: null, enabled: true, expiresAt: null, scopes: ["realtime"], secrets: { h1: null }, ...over };
}

const link = (over: Partial<LiveLink> = {}): LiveLink => ({ hash: "h1", scope: "realtime", route: "/v1/realtime", openedAt: NOW - 1000, ...over });

describe("verdictFor", () => {
  it("a valid key holding the route's scope keeps its link", () => {
    expect(verdictFor(auth(), link(), NOW)).toBeNull();
    expect(verdictFor(auth({ scopes: ["*"] }), link(), NOW)).toBeNull();
    expect(verdictFor(auth({ expiresAt: NOW + 1, secrets: { h1: NOW + 1 } }), link(), NOW)).toBeNull();
  });

  it("revoked, disabled, expired or an unknown secret: 4001, saying which", () => {
    expect(verdictFor(auth({ revokedAt: NOW - 1 }), link(), NOW)).toEqual({ code: 4001, reason: "the API key was revoked" });
    expect(verdictFor(auth({ enabled: false }), link(), NOW)).toEqual({ code: 4001, reason: "the API key was disabled" });
    expect(verdictFor(auth({ expiresAt: NOW }), link(), NOW)).toEqual({ code: 4001, reason: "the API key expired" });
    // A deleted key's object holds no secrets at all.
    expect(verdictFor(auth({ secrets: {} }), link(), NOW)).toEqual({ code: 4001, reason: "the API key is no longer valid" });
  });

  it("a rolled secret's deadline ends only the links opened with it", () => {
    const rolled = auth({ secrets: { h1: NOW, h2: null } });
    expect(verdictFor(rolled, link({ hash: "h1" }), NOW)).toEqual({ code: 4001, reason: "the API key expired" });
    expect(verdictFor(rolled, link({ hash: "h2" }), NOW)).toBeNull();
    expect(verdictFor(rolled, link({ hash: "h1" }), NOW - 1)).toBeNull();
  });

  it("the route's scope removed: 4003 naming the scope; a route needing none is not judged by scopes", () => {
    expect(verdictFor(auth({ scopes: ["query"] }), link(), NOW)).toEqual({ code: 4003, reason: "the API key no longer holds the realtime scope" });
    // platform grants admin and jobs:read, not realtime.
    expect(verdictFor(auth({ scopes: ["platform"] }), link(), NOW)?.code).toBe(4003);
    expect(verdictFor(auth({ scopes: ["query"] }), link({ scope: null }), NOW)).toBeNull();
  });

  it("a key no longer valid is 4001 even when its scope is gone too", () => {
    expect(verdictFor(auth({ revokedAt: NOW, scopes: ["query"] }), link(), NOW)?.code).toBe(4001);
    expect(verdictFor(auth({ enabled: false, scopes: ["query"] }), link(), NOW)?.code).toBe(4001);
  });

  it("every reason fits a close frame", () => {
    const states = [auth({ revokedAt: NOW }), auth({ enabled: false }), auth({ expiresAt: NOW }), auth({ secrets: {} }), auth({ scopes: ["query"] })];
    for (const s of states) expect(new TextEncoder().encode(verdictFor(s, link({ scope: "jobs:report" }), NOW)!.reason).byteLength).toBeLessThanOrEqual(123);
  });
});

// ---- on a real key object ----

function keyObject() {
  const keyId = `key_live${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
  return { keyId, stub: env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(keyId)) };
}

type Link = { res: Response; ws: WebSocket | null; closed: Promise<{ code: number; reason: string }> };

/** Opens a link the way realtime/link.ts does; the isolate's end, accepted. */
async function openLink(stub: DurableObjectStub, keyId: string, over: Partial<LiveOpen> = {}): Promise<Link> {
  const open: LiveOpen = { keyId, tenantId: "ten_live", state: auth(), maxConnections: 10, ...link(), openedAt: Date.now(), ...over };
  const res = await stub.fetch(new Request("https://key-limiter.internal/live", { headers: { upgrade: "websocket", [LIVE_OPEN_HEADER]: JSON.stringify(open) } }));
  const ws = res.webSocket;
  if (!ws) return { res, ws: null, closed: new Promise(() => {}) };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (ev) => resolve({ code: ev.code, reason: ev.reason })));
  ws.accept();
  return { res, ws, closed };
}

const stillOpen = (l: Link, ms = 100) => Promise.race([l.closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);

describe("acceptLink, through the key object's fetch", () => {
  it("opens a link for a valid key holding the scope", async () => {
    const { keyId, stub } = keyObject();
    const l = await openLink(stub, keyId);
    expect(l.res.status).toBe(101);
    expect(l.ws).not.toBeNull();
    expect(await stillOpen(l)).toBe(true);
  });

  it("refuses (409, no socket) a key the object knows is no longer valid, or without the scope", async () => {
    for (const [state, reason] of [
      [auth({ revokedAt: Date.now() - 1 }), "revoked"],
      [auth({ enabled: false }), "disabled"],
      [auth({ expiresAt: Date.now() - 1 }), "expired"],
      [auth({ secrets: { other: null } }), "unknown-secret"],
      [auth({ scopes: ["query"] }), "scope"],
    ] as const) {
      const { keyId, stub } = keyObject();
      const l = await openLink(stub, keyId, { state });
      expect(l.res.status, reason).toBe(409);
      expect(l.ws).toBeNull();
      expect(await l.res.json()).toEqual({ ok: false, reason });
    }
  });

  it("a revocation the object already holds wins over an isolate's older view", async () => {
    const { keyId, stub } = keyObject();
    await stub.configure({ ...auth({ version: 5, revokedAt: Date.now() }), keyId, tenantId: "ten_live" });
    const l = await openLink(stub, keyId, { state: auth({ version: 4 }) });
    expect(l.res.status).toBe(409);
    expect(await l.res.json()).toEqual({ ok: false, reason: "revoked" });
  });

  it("counts open links against the plan's ceiling; a closed one frees its place", async () => {
    const { keyId, stub } = keyObject();
    const a = await openLink(stub, keyId, { maxConnections: 2 });
    const b = await openLink(stub, keyId, { maxConnections: 2 });
    expect([a.res.status, b.res.status]).toEqual([101, 101]);
    const c = await openLink(stub, keyId, { maxConnections: 2 });
    expect(c.res.status).toBe(409);
    expect(await c.res.json()).toEqual({ ok: false, reason: "connections", limit: 2 });
    a.ws!.close(1000, "connection closed");
    const until = Date.now() + 2000;
    let d = await openLink(stub, keyId, { maxConnections: 2 });
    while (d.res.status !== 101 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      d = await openLink(stub, keyId, { maxConnections: 2 });
    }
    expect(d.res.status).toBe(101);
  });

  it("anything but a link request is 400", async () => {
    const { stub } = keyObject();
    expect((await stub.fetch(new Request("https://key-limiter.internal/live"))).status).toBe(400);
    expect((await stub.fetch(new Request("https://key-limiter.internal/live", { headers: { upgrade: "websocket" } }))).status).toBe(400);
  });

  it("a link opened for an expiring key sets the object's alarm no later than the expiry", async () => {
    const { keyId, stub } = keyObject();
    const expiresAt = Date.now() + 60_000;
    const l = await openLink(stub, keyId, { state: auth({ expiresAt }) });
    expect(l.res.status).toBe(101);
    const alarm = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(expiresAt);
  });
});

describe("nextExpiry", () => {
  it("null with no links, or when nothing a link depends on expires", async () => {
    const { keyId, stub } = keyObject();
    const now = Date.now();
    expect(await runInDurableObject(stub, (_o, state) => nextExpiry(state, auth({ expiresAt: now + 5000 }), now))).toBeNull();
    await openLink(stub, keyId);
    expect(await runInDurableObject(stub, (_o, state) => nextExpiry(state, auth(), now))).toBeNull();
  });

  it("the earliest future instant among the key's expiry and the deadlines of the secrets links use", async () => {
    const { keyId, stub } = keyObject();
    const now = Date.now();
    const secrets = { h1: null, h2: null, unused: null };
    await openLink(stub, keyId, { hash: "h1", state: auth({ secrets }) });
    await openLink(stub, keyId, { hash: "h2", state: auth({ secrets }) });
    const at = (s: AuthState) => runInDurableObject(stub, (_o, state) => nextExpiry(state, s, now));
    expect(await at(auth({ expiresAt: now + 9000, secrets }))).toBe(now + 9000);
    expect(await at(auth({ expiresAt: now + 9000, secrets: { h1: null, h2: now + 3000, unused: null } }))).toBe(now + 3000);
    // A deadline of a secret no link was opened with is not a reason to wake.
    expect(await at(auth({ expiresAt: now + 9000, secrets: { h1: null, h2: null, unused: now + 1000 } }))).toBe(now + 9000);
    // Instants already past are the verdict's business, not the alarm's.
    expect(await at(auth({ expiresAt: now - 1, secrets: { h1: now - 1, h2: now + 4000, unused: null } }))).toBe(now + 4000);
  });
});

describe("closeDisallowed", () => {
  it("closes exactly the links the state no longer allows, each with its code and reason", async () => {
    const { keyId, stub } = keyObject();
    const secrets = { h1: null, h2: null };
    const onH1 = await openLink(stub, keyId, { hash: "h1", state: auth({ secrets }) });
    const onH2 = await openLink(stub, keyId, { hash: "h2", state: auth({ secrets }) });
    const anyScope = await openLink(stub, keyId, { hash: "h2", scope: null, state: auth({ secrets }) });

    // h1's grace is over: only its link goes.
    const now = Date.now();
    const rolled = auth({ secrets: { h1: now - 1, h2: null } });
    expect(await runInDurableObject(stub, (_o, state) => closeDisallowed(state, rolled, now))).toBe(1);
    expect(await onH1.closed).toEqual({ code: 4001, reason: "the API key expired" });
    expect(await stillOpen(onH2)).toBe(true);

    // The realtime scope removed: the route that needs it goes, the one that needs none stays.
    const narrowed = auth({ secrets: { h2: null }, scopes: ["query"] });
    await runInDurableObject(stub, (_o, state) => closeDisallowed(state, narrowed, Date.now()));
    expect(await onH2.closed).toEqual({ code: 4003, reason: "the API key no longer holds the realtime scope" });
    expect(await stillOpen(anyScope)).toBe(true);

    // Revoked: everything left goes.
    await runInDurableObject(stub, (_o, state) => closeDisallowed(state, auth({ revokedAt: Date.now(), secrets: { h2: null } }), Date.now()));
    expect(await anyScope.closed).toEqual({ code: 4001, reason: "the API key was revoked" });
  });

  it("configure with a newer state closes what it no longer allows at once", async () => {
    const { keyId, stub } = keyObject();
    const l = await openLink(stub, keyId);
    await stub.configure({ ...auth({ version: 2, enabled: false }), keyId, tenantId: "ten_live" });
    expect(await l.closed).toEqual({ code: 4001, reason: "the API key was disabled" });
  });
});

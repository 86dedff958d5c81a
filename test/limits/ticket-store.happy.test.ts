import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_LIVE_TICKETS, redeemTicket, storeTicket, type TicketMint } from "../../src/limits/ticket-store.ts";

const NOW = 1_750_000_000_000;
const PATH = "/v1/realtime/echo";

/** A key's object of its own, and its storage, for one test. */
function inFreshObject<T>(fn: (kv: SyncKvStorage) => T | Promise<T>): Promise<T> {
  const stub = env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(`ticket-store-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_o, state) => fn(state.storage.kv));
}

const mint = (n: number | string, over: Partial<TicketMint> = {}): TicketMint => ({
  ticketHash: `t${n}`,
  path: PATH,
  hash: `secret-hash-${n}`,
  expiresAt: NOW + 60_000,
  ...over,
});

const tickets = (kv: SyncKvStorage) => [...kv.list({ prefix: "ticket:" })].map(([name]) => name);

describe("ticket store", () => {
  it("redeems a stored ticket once, answering the secret that asked for it", async () => {
    await inFreshObject((kv) => {
      expect(storeTicket(kv, mint(1), NOW)).toBe(true);
      expect(redeemTicket(kv, { ticketHash: "t1", path: PATH }, NOW + 1)).toEqual({ ok: true, hash: "secret-hash-1" });
      expect(redeemTicket(kv, { ticketHash: "t1", path: PATH }, NOW + 2)).toEqual({ ok: false, reason: "unknown" });
      expect(tickets(kv)).toEqual([]);
    });
  });

  it("keeps only the ticket's hash, path, secret hash and expiry", async () => {
    await inFreshObject((kv) => {
      storeTicket(kv, { ...mint(1), keyId: "key_x", tenantId: "ten_x" } as TicketMint, NOW);
      expect(kv.get("ticket:t1")).toEqual({ path: PATH, hash: "secret-hash-1", expiresAt: NOW + 60_000 });
    });
  });

  it("answers unknown for a ticket it never stored", async () => {
    await inFreshObject((kv) => {
      storeTicket(kv, mint(1), NOW);
      expect(redeemTicket(kv, { ticketHash: "t2", path: PATH }, NOW)).toEqual({ ok: false, reason: "unknown" });
      // Someone else's miss leaves the stored ticket alone.
      expect(redeemTicket(kv, { ticketHash: "t1", path: PATH }, NOW).ok).toBe(true);
    });
  });

  it("answers expired at and after expiresAt, and the ticket is gone after", async () => {
    await inFreshObject((kv) => {
      storeTicket(kv, mint(1), NOW);
      storeTicket(kv, mint(2), NOW);
      expect(redeemTicket(kv, { ticketHash: "t1", path: PATH }, NOW + 60_000 - 1).ok).toBe(true);
      expect(redeemTicket(kv, { ticketHash: "t2", path: PATH }, NOW + 60_000)).toEqual({ ok: false, reason: "expired" });
      expect(redeemTicket(kv, { ticketHash: "t2", path: PATH }, NOW)).toEqual({ ok: false, reason: "unknown" });
    });
  });

  it("answers wrong-path for another path, and spends the ticket for its own", async () => {
    await inFreshObject((kv) => {
      storeTicket(kv, mint(1), NOW);
      expect(redeemTicket(kv, { ticketHash: "t1", path: `${PATH}/other` }, NOW)).toEqual({ ok: false, reason: "wrong-path" });
      expect(redeemTicket(kv, { ticketHash: "t1", path: PATH }, NOW)).toEqual({ ok: false, reason: "unknown" });
    });
  });

  it("compares paths exactly (no prefix, case or trailing-slash leeway)", async () => {
    await inFreshObject((kv) => {
      for (const [i, other] of ["/v1/realtime/echo/", "/v1/realtime/ECHO", "/v1/realtime", "/v1/realtime/echo2"].entries()) {
        storeTicket(kv, mint(i), NOW);
        expect(redeemTicket(kv, { ticketHash: `t${i}`, path: other }, NOW), other).toEqual({ ok: false, reason: "wrong-path" });
      }
    });
  });

  it(`holds at most ${MAX_LIVE_TICKETS} live tickets; expired ones make room and are dropped`, async () => {
    await inFreshObject((kv) => {
      for (let i = 0; i < MAX_LIVE_TICKETS; i++) expect(storeTicket(kv, mint(i), NOW)).toBe(true);
      expect(storeTicket(kv, mint("over"), NOW)).toBe(false);
      expect(kv.get("ticket:tover")).toBeUndefined();
      expect(tickets(kv)).toHaveLength(MAX_LIVE_TICKETS);
      // A redeemed ticket frees its place.
      expect(redeemTicket(kv, { ticketHash: "t0", path: PATH }, NOW).ok).toBe(true);
      expect(storeTicket(kv, mint("again"), NOW)).toBe(true);
      expect(storeTicket(kv, mint("over"), NOW)).toBe(false);
      // A minute on, all of them have expired: the next store drops them and fits.
      expect(storeTicket(kv, mint("later", { expiresAt: NOW + 120_000 }), NOW + 60_000)).toBe(true);
      expect(tickets(kv)).toEqual(["ticket:tlater"]);
    });
  });

  it("lives in the key's object storage across calls (what the Worker relies on for single use worldwide)", async () => {
    const stub = env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(`ticket-store-${crypto.randomUUID()}`));
    const ticket = mint(1, { expiresAt: Date.now() + 60_000 });
    await runInDurableObject(stub, (_o, state) => storeTicket(state.storage.kv, ticket));
    const first = await runInDurableObject(stub, (_o, state) => redeemTicket(state.storage.kv, { ticketHash: "t1", path: PATH }));
    const second = await runInDurableObject(stub, (_o, state) => redeemTicket(state.storage.kv, { ticketHash: "t1", path: PATH }));
    expect(first).toEqual({ ok: true, hash: "secret-hash-1" });
    expect(second).toEqual({ ok: false, reason: "unknown" });
  });

  it("through the object's RPC: mintTicket then redeemTicket, once", async () => {
    const stub = env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(`ticket-store-${crypto.randomUUID()}`));
    const t = { ...mint(1, { expiresAt: Date.now() + 60_000 }), keyId: "key_rpc", tenantId: "ten_rpc" };
    expect(await stub.mintTicket(t)).toEqual({ ok: true });
    const [a, b] = await Promise.all([stub.redeemTicket({ ticketHash: "t1", path: PATH }), stub.redeemTicket({ ticketHash: "t1", path: PATH })]);
    expect([a, b].filter((r) => r.ok)).toHaveLength(1);
  });
});

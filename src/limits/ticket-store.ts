// WebSocket tickets as the key's object keeps them (keys/ticket.ts has their shape): the SHA-256
// of each, the path it opens and the secret that asked for it, for at most a minute. Redeeming
// deletes it whatever the answer, so a ticket tried on the wrong path is spent too: whoever holds
// a leaked ticket gets one guess at most.

export type TicketMint = { ticketHash: string; path: string; hash: string; expiresAt: number };
export type TicketRedeem = { ticketHash: string; path: string };
export type Redeemed = { ok: true; hash: string } | { ok: false; reason: "unknown" | "expired" | "wrong-path" };

type Stored = { path: string; hash: string; expiresAt: number };

/** Live tickets one key may hold at once: a browser needs one per connection it is opening. */
export const MAX_LIVE_TICKETS = 100;
const PREFIX = "ticket:";

/** Stores a ticket, after dropping expired ones; false when the key already holds too many. */
export function storeTicket(kv: SyncKvStorage, t: TicketMint, now = Date.now()): boolean {
  let live = 0;
  for (const [name, stored] of [...kv.list<Stored>({ prefix: PREFIX })]) {
    if (stored.expiresAt <= now) kv.delete(name);
    else live++;
  }
  if (live >= MAX_LIVE_TICKETS) return false;
  kv.put(PREFIX + t.ticketHash, { path: t.path, hash: t.hash, expiresAt: t.expiresAt } satisfies Stored);
  return true;
}

export function redeemTicket(kv: SyncKvStorage, r: TicketRedeem, now = Date.now()): Redeemed {
  const name = PREFIX + r.ticketHash;
  const stored = kv.get<Stored>(name);
  if (!stored) return { ok: false, reason: "unknown" };
  kv.delete(name);
  if (stored.expiresAt <= now) return { ok: false, reason: "expired" };
  if (stored.path !== r.path) return { ok: false, reason: "wrong-path" };
  return { ok: true, hash: stored.hash };
}

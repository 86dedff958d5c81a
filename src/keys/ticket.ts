// WebSocket tickets: browsers cannot set headers on a WebSocket, so a key trades itself for a
// ticket that may appear in the URL once. `kgt_<keyId>_<secret>_<mac>`: the key id says which
// key's object holds the ticket (the only place that can make "single use" true worldwide); the
// secret is 190 random bits, kept there only as its SHA-256; the MAC (HMAC-SHA256 of both, with a
// key derived from the gateway's signing secret) lets an invented ticket be refused offline, as a
// key's checksum does, so guessing costs no object a call.
import { randomBase62 } from "../core/base62.ts";
import { hashKey, sameDigest } from "./hash.ts";

export const TICKET_TTL_MS = 60_000;
const TICKET = /^kgt_(key_[0-9A-Za-z]{1,64})_([0-9A-Za-z]{32})_([0-9a-f]{32})$/;
/** The query parameter a ticket travels in: the only credential keygate takes from a URL. */
export const TICKET_PARAM = "ticket";

const encoder = new TextEncoder();
let macKey: { secret: string; key: Promise<CryptoKey> } | null = null;

/** The MAC key, derived once per isolate (per value of the secret) with HKDF. */
function macKeyFor(secret: string): Promise<CryptoKey> {
  if (macKey?.secret === secret) return macKey.key;
  const key = crypto.subtle
    .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
    .then((ikm) =>
      crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode("keygate websocket ticket v1") }, ikm, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]),
    );
  macKey = { secret, key };
  return key;
}

async function macOf(secret: string, keyId: string, random: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await macKeyFor(secret), encoder.encode(`${keyId}.${random}`)));
  return Array.from(mac.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new ticket for the key; `secret` is the gateway's own (SIGNING_KEY), never sent anywhere. */
export async function newTicket(keyId: string, secret: string): Promise<string> {
  const random = randomBase62(32);
  return `kgt_${keyId}_${random}_${await macOf(secret, keyId, random)}`;
}

/** The key a ticket belongs to, or null when the value is not shaped like one. */
export function ticketKeyId(ticket: string): string | null {
  return TICKET.exec(ticket)?.[1] ?? null;
}

/** Whether keygate made this ticket (shape and MAC), checked before any store is asked. */
export async function ticketIsOurs(ticket: string, secret: string): Promise<boolean> {
  const m = TICKET.exec(ticket);
  return m !== null && sameDigest(await macOf(secret, m[1]!, m[2]!), m[3]!);
}

export const hashTicket = hashKey;

/**
 * The ticket a URL carries (`?ticket=`, however its name is escaped); "" when it carries several,
 * an empty one, or a ticket anywhere else in the query (`?Ticket=kgt_…` would reach the origin).
 */
export function ticketInUrl(url: URL): string | null {
  // Most queries are skipped without parsing: no "ticket", no "kgt_" and no escape that could spell them.
  const q = url.search;
  if (q === "" || (!q.includes(TICKET_PARAM) && !q.includes("kgt_") && !q.includes("%"))) return null;
  let found: string | null = null;
  let elsewhere = false;
  for (const [name, value] of url.searchParams) {
    if (name === TICKET_PARAM) found = found === null ? value : "";
    else if (value.includes("kgt_") || name.includes("kgt_")) elsewhere = true;
  }
  return elsewhere ? "" : found;
}

/** The query the origin sees: the client's, minus the ticket. */
export function searchWithoutTicket(url: URL): string {
  if (!url.searchParams.has(TICKET_PARAM)) return url.search;
  const params = new URLSearchParams(url.search);
  params.delete(TICKET_PARAM);
  const rest = params.toString();
  return rest === "" ? "" : `?${rest}`;
}

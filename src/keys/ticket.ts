// WebSocket tickets: browsers cannot set headers on a WebSocket, so a key trades itself for a
// ticket that may appear in the URL once. `kgt_<keyId>_<secret>`: the key id says which key's
// object holds the ticket (the only place that can make "single use" true worldwide); the secret
// is 190 random bits, kept there only as its SHA-256.
import { randomBase62 } from "../core/base62.ts";
import { hashKey } from "./hash.ts";

export const TICKET_TTL_MS = 60_000;
const TICKET = /^kgt_(key_[0-9A-Za-z]{1,64})_([0-9A-Za-z]{32})$/;
/** The query parameter a ticket travels in: the only credential keygate takes from a URL. */
export const TICKET_PARAM = "ticket";

export function newTicket(keyId: string): string {
  return `kgt_${keyId}_${randomBase62(32)}`;
}

/** The key a ticket belongs to, or null when the value is not shaped like one. */
export function ticketKeyId(ticket: string): string | null {
  return TICKET.exec(ticket)?.[1] ?? null;
}

export const hashTicket = hashKey;

/** The ticket a URL carries (`?ticket=`, however its name is escaped); "" when it carries several or an empty one. */
export function ticketInUrl(url: URL): string | null {
  // Most queries are skipped without parsing: no "ticket" and no escape that could spell it.
  if (url.search === "" || (!url.search.includes(TICKET_PARAM) && !url.search.includes("%"))) return null;
  const all = url.searchParams.getAll(TICKET_PARAM);
  if (all.length === 0) return null;
  return all.length === 1 ? all[0]! : "";
}

/** The query the origin sees: the client's, minus the ticket. */
export function searchWithoutTicket(url: URL): string {
  if (!url.searchParams.has(TICKET_PARAM)) return url.search;
  const params = new URLSearchParams(url.search);
  params.delete(TICKET_PARAM);
  const rest = params.toString();
  return rest === "" ? "" : `?${rest}`;
}

// A WebSocket ticket as the request's credential (keys/ticket.ts): redeemed once at its key's
// object, which answers with the secret that asked for it; that secret's key is then verified
// like any presented key (state, tenant), so a ticket never outlives its key's revocation.
import type { Context } from "hono";
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import { hashTicket, ticketIsOurs, ticketKeyId } from "../keys/ticket.ts";
import { verifyHashed, type Principal } from "../keys/verify.ts";
import { LIMITER_TIMEOUT_MS } from "../limits/lease-policy.ts";
import { limiterUnavailable } from "../limits/refusals.ts";
import type { Redeemed } from "../limits/ticket-store.ts";
import type { AppEnv } from "./context.ts";

/** The gateway's own secret the tickets' MAC key derives from; without it no ticket can be made or checked. */
export function ticketSecret(env: { SIGNING_KEY?: string }): string {
  if (!env.SIGNING_KEY) throw new Problem("signing-unavailable", { detail: "The gateway cannot issue or check tickets right now; retry shortly.", headers: { "Retry-After": "5" } });
  return env.SIGNING_KEY;
}

const WHY = {
  unknown: "The ticket is not valid: each ticket opens one connection.",
  expired: "The ticket has expired: a ticket lives 60 seconds. Ask for a new one.",
  "wrong-path": "The ticket was issued for another path, and is spent now. Ask for a new one for this path.",
} as const;

export async function redeemTicket(c: Context<AppEnv>, ticket: string): Promise<Principal> {
  if (ticket === "") throw new Problem("invalid-request", { detail: "Send exactly one ticket, as ?ticket=, and not an empty one." });
  if (c.req.method !== "GET" || c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new Problem("invalid-request", {
      detail: "A ticket opens a WebSocket: it is accepted only on the upgrade request. Other requests take an API key in Authorization.",
    });
  }
  const keyId = ticketKeyId(ticket);
  if (!keyId) throw new Problem("invalid-ticket", { detail: "The ticket is not in keygate's format (kgt_…).", cause: "ticket_format" });
  // An invented ticket is refused here, offline: no object is asked about it.
  if (!(await ticketIsOurs(ticket, ticketSecret(c.env)))) throw new Problem("invalid-ticket", { detail: WHY.unknown, cause: "ticket_mac" });
  const redeem = { ticketHash: hashTicket(ticket), path: c.get("url").pathname };
  let answer: Redeemed;
  try {
    answer = await deadline<Redeemed>(c.get("stores").keyLimiter(keyId).redeemTicket(redeem), LIMITER_TIMEOUT_MS, "the key's object");
  } catch (err) {
    log("error", "realtime.ticket_unredeemable", { keyId, error: String(err) });
    throw limiterUnavailable();
  }
  if (!answer.ok) throw new Problem("invalid-ticket", { detail: WHY[answer.reason], cause: JSON.stringify({ keyId, reason: answer.reason }) });
  return verifyHashed(c.get("stores"), c.get("defer"), answer.hash);
}

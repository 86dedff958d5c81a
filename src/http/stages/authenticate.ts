// Stage: authentication. A key in any other header → the credential (or a WebSocket ticket in the
// URL, redeemed at its key's object) → the per-IP failure filter → format and checksum (offline)
// → memory, KV, D1 → the key's state → its tenant's. A request with
// no key may be a person's: signed in through Cloudflare Access, or holding a console session
// (http/person.ts), held to their role and to same-site changes only.
import type { Context, MiddlewareHandler, Next } from "hono";
import { Problem } from "../../core/problem.ts";
import { clientIp, countFailure, refuseIfBlocked } from "../../keys/auth-failures.ts";
import { extractCredential, rejectKeyInOtherHeaders } from "../../keys/credential.ts";
import { ticketInUrl } from "../../keys/ticket.ts";
import { KeyRefused, verifyKey, type Principal } from "../../keys/verify.ts";
import { verifyAccessJwt } from "../../people/access-jwt.ts";
import type { AppEnv } from "../context.ts";
import { headerList } from "../header-list.ts";
import { handedOver } from "../in-process.ts";
import { accessAssertion, checkPersonRequest, resolvePerson } from "../person.ts";
import { hasSessionCookie } from "../sessions.ts";
import { redeemTicket } from "../ticket-credential.ts";

// Not async: a key's request returns withKey's promise to the stage chain as it is, one async
// frame less on every request; a person's is async (authenticatePerson).
export const authenticate: MiddlewareHandler<AppEnv> = (c, next) => {
  rejectKeyInOtherHeaders(headerList(c));
  const presented = extractCredential(c.req.raw.headers);
  const ticket = ticketInUrl(c.get("url"));
  if (ticket !== null) {
    if (presented !== null) throw new Problem("invalid-request", { detail: "Send one credential: a ticket in the URL or an API key in a header, not both." });
    return withKey(c, next, () => redeemTicket(c, ticket));
  }
  if (presented === null) return authenticatePerson(c, next);
  const verify = () => verifyKey(c.get("stores"), c.get("defer"), presented);
  // Access let this request in as a person, and says so in a token: verified even when a key
  // speaks for the request, so a forged token is refused rather than passed over.
  const access = accessAssertion(c);
  // A service token (automation behind Access) names no person and needs none here.
  if (access !== null) return verifyAccessJwt(access.token, access.config).then(() => withKey(c, next, verify));
  return withKey(c, next, verify);
};

/** No key: a person signed in through Access or holding a console session, or a 401. */
async function authenticatePerson(c: Context<AppEnv>, next: Next): Promise<void> {
  const person = handedOver(c.req.raw) ?? (await resolvePerson(c));
  if (!person) {
    const ended = hasSessionCookie(c) ? " The console session has ended; sign in again." : "";
    throw new Problem("missing-credential", { detail: `Send an API key: Authorization: Bearer <key>.${ended}` });
  }
  checkPersonRequest(c, person.principal, person.session);
  c.set("principal", person.principal);
  if (person.session) c.set("session", person.session);
  await next();
}

/** A key's verification (or a ticket's redemption), behind the per-IP failure filter. */
async function withKey(c: Context<AppEnv>, next: Next, verify: () => Principal | Promise<Principal>): Promise<void> {
  const ip = clientIp(c.req.raw.headers);
  refuseIfBlocked(ip);
  try {
    const verified = verify();
    c.set("principal", verified instanceof Promise ? await verified : verified);
  } catch (err) {
    if (err instanceof KeyRefused) c.set("refusedKey", err.key);
    if (err instanceof Problem && err.status === 401) await countFailure(c.env.AUTH_FAILURES, ip);
    throw err;
  }
  await next();
}

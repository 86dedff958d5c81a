// People, as opposed to keys: an operator signed in through Cloudflare Access, or a console
// session opened with a key. Both reach the admin API and the console; neither reaches a
// forwarded route, which is for API keys.
import type { Context } from "hono";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import { operatorPrincipal } from "../keys/operator-principal.ts";
import type { Principal } from "../keys/verify.ts";
import { ACCESS_HEADER, accessConfig, verifyAccessToken, type AccessConfig } from "../people/access-jwt.ts";
import { findOperator, noteSeen, operatorOf } from "../people/operators-store.ts";
import { roleRefusal, SAFE_METHODS } from "../people/roles.ts";
import type { AppEnv } from "./context.ts";
import { requireCsrfToken, sessionPrincipal } from "./sessions.ts";

/** An Access token the request carries, and the configuration to check it against. */
export type AccessAssertion = { token: string; config: AccessConfig };

/** The Access token this request carries, when Access sign-in is on; throws when it is misconfigured. */
export function accessAssertion(c: Context<AppEnv>): AccessAssertion | null {
  const token = c.req.header(ACCESS_HEADER);
  if (token === undefined) return null;
  const config = accessConfig(c.env);
  if (config === null) return null;
  if (config instanceof Problem) {
    log("error", "access.misconfigured", { error: config.options.cause });
    throw config;
  }
  return { token, config };
}

/** Verifies an Access token (RS256, issuer, audience, expiry) and names the operator it signs in. */
export async function accessPrincipal(c: Context<AppEnv>, { token, config }: AccessAssertion): Promise<Principal> {
  const email = await verifyAccessToken(token, config);
  const stores = c.get("stores");
  const row = await findOperator(stores.db, email);
  if (!row) {
    throw new Problem("not-an-operator", { detail: "You are signed in through Cloudflare Access, but not an operator of this gateway; ask an owner to add you.", cause: email });
  }
  const seen = noteSeen(stores.background.db, row, Date.now());
  if (seen) c.get("defer")(seen.run().catch((err: unknown) => log("warn", "operator.seen_failed", { error: String(err) })));
  return operatorPrincipal(stores, c.get("defer"), operatorOf(row));
}

/**
 * Fetch Metadata: a browser says where a request came from (older ones only by Origin, which a
 * cross-site POST carries; CLIs send neither). The one test of "another site sent this", for the
 * API's changes and the console's form posts alike.
 */
export function fromAnotherSite(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = c.req.header("origin");
  return origin !== undefined && origin !== (c.get("url") ?? new URL(c.req.url)).origin;
}

/** A state-changing request a person's browser sends from another site is refused, whatever credential it carries. */
function refuseCrossSite(c: Context<AppEnv>): void {
  if (fromAnotherSite(c)) {
    throw new Problem("csrf-failed", { detail: "Changes from a person's browser must come from this gateway's own pages." });
  }
}

/** What a person may do with this request, checked before any route runs. */
export function checkPersonRequest(c: Context<AppEnv>, principal: Principal, session?: { csrf: string }): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  refuseCrossSite(c);
  if (session) requireCsrfToken(c, session);
  const refusal = principal.operator && roleRefusal(principal.operator.role, c.req.method, c.req.path);
  if (refusal) throw new Problem("operator-role", { detail: refusal, cause: JSON.stringify({ operatorId: principal.operator!.id }) });
}

/** The person behind a request with no API key: Access first, then a console session; null if none. */
export async function resolvePerson(c: Context<AppEnv>): Promise<{ principal: Principal; session?: { csrf: string; expiresAt: number } } | null> {
  const access = accessAssertion(c);
  if (access !== null) return { principal: await accessPrincipal(c, access) };
  return sessionPrincipal(c);
}

// Console sessions: a key signs in once; the browser then holds only a random token, in a cookie
// the page's scripts cannot read (HttpOnly) and other sites cannot make it send (SameSite=Strict).
// D1 holds the token's SHA-256 and the key's hash, never either secret. Each request re-checks
// the key (revoked, disabled, expired, scopes) exactly as if the key itself were sent.
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { and, eq, isNull } from "drizzle-orm";
import { Problem } from "../core/problem.ts";
import { consoleSessions } from "../db/people-schema.ts";
import { clientIp, countFailure, refuseIfBlocked } from "../keys/auth-failures.ts";
import { hashKey, sameDigest } from "../keys/hash.ts";
import { grants, isPlatform } from "../keys/scopes.ts";
import { verifyHashed, verifyKey, type Principal } from "../keys/verify.ts";
import { auditInsert } from "./audit-entry.ts";
import type { AppEnv } from "./context.ts";

/** The longest a session lasts, whatever the key's own expiry. */
export const SESSION_MAX_MS = 12 * 60 * 60_000;

// `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
const cookieName = (url: URL) => (url.protocol === "https:" ? "__Host-kg_session" : "kg_session");

function cookie(url: URL, value: string, maxAgeS: number): string {
  const secure = url.protocol === "https:" ? "; Secure" : "";
  return `${cookieName(url)}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
}

/** 32 random bytes in base64url, as randomToken makes them. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const canSignIn = (scopes: readonly string[]) => isPlatform(scopes) || grants(scopes, "admin");

const sessionToken = (c: Context<AppEnv>) => getCookie(c, cookieName(c.get("url") ?? new URL(c.req.url)));

/** Verifies an admin or platform key and opens a session; returns the Set-Cookie value. */
export async function openKeySession(c: Context<AppEnv>, presented: string): Promise<{ cookie: string }> {
  const stores = c.get("stores");
  const ip = clientIp(c.req.raw.headers);
  // The sign-in form is a key-guessing oracle like any API call: the same per-IP filter applies.
  refuseIfBlocked(ip);
  let principal: Principal;
  try {
    principal = await verifyKey(stores, c.get("defer"), presented.trim());
  } catch (err) {
    if (err instanceof Problem && err.status === 401) await countFailure(c.env.AUTH_FAILURES, ip);
    throw err;
  }
  const { key } = principal;
  if (!canSignIn(key.scopes)) {
    throw new Problem("insufficient-scope", { detail: "The console takes an admin or platform key.", scope: "admin" });
  }
  const now = Date.now();
  const ends = Math.min(now + SESSION_MAX_MS, key.expiresAt ?? Infinity, key.secretExpiresAt ?? Infinity);
  const token = randomToken();
  c.set("principal", principal);
  await stores.db.batch([
    stores.db.insert(consoleSessions).values({ id: hashKey(token), keyId: key.keyId, keyHash: key.hash, csrf: randomToken(), createdAt: now, expiresAt: ends }),
    auditInsert(c, stores.db, { tenantId: key.tenantId, action: "console.sign_in", targetType: "key", targetId: key.keyId }, now),
  ]);
  return { cookie: cookie(c.get("url"), token, Math.floor((ends - now) / 1000)) };
}

/** Ends the caller's session server-side; returns the Set-Cookie value that clears it. */
export async function closeSession(c: Context<AppEnv>): Promise<{ cookie: string }> {
  const token = sessionToken(c);
  if (token) {
    const { db } = c.get("stores");
    await db.update(consoleSessions).set({ endedAt: Date.now() }).where(and(eq(consoleSessions.id, hashKey(token)), isNull(consoleSessions.endedAt)));
  }
  return { cookie: cookie(c.get("url"), "", 0) };
}

/** Whether the request carries a session cookie at all (a credential to check, whether or not its session is still open). */
export const hasSessionCookie = (c: Context<AppEnv>) => sessionToken(c) !== undefined;

/**
 * The principal of the request's session, or null when it has none that is open. A session whose
 * key has since been revoked, disabled or expired is refused as the key would be.
 */
export async function sessionPrincipal(c: Context<AppEnv>): Promise<{ principal: Principal; session: { csrf: string; expiresAt: number } } | null> {
  const token = sessionToken(c);
  if (!token) return null;
  // Only a token this gateway could have made is looked up; a made-up cookie costs no D1 read.
  if (!TOKEN_SHAPE.test(token)) return null;
  const ip = clientIp(c.req.raw.headers);
  refuseIfBlocked(ip);
  const stores = c.get("stores");
  const row = await stores.db.select().from(consoleSessions).where(eq(consoleSessions.id, hashKey(token))).get();
  const now = Date.now();
  if (!row) {
    // A guessed token is a failed sign-in, filtered per IP like a guessed key.
    await countFailure(c.env.AUTH_FAILURES, ip);
    return null;
  }
  if (row.endedAt !== null || row.expiresAt <= now) return null;
  const principal = await verifyHashed(stores, c.get("defer"), row.keyHash, now);
  if (!canSignIn(principal.key.scopes)) return null;
  return { principal, session: { csrf: row.csrf, expiresAt: row.expiresAt } };
}

/** A session's state-changing request carries its CSRF token: a page of another site cannot. */
export function requireCsrfToken(c: Context<AppEnv>, session: { csrf: string }): void {
  const sent = c.req.header("x-csrf-token") ?? "";
  if (!sameDigest(sent, session.csrf)) {
    throw new Problem("csrf-failed", { detail: "A console session's changes need the X-CSRF-Token header of that session (the console's pages send it)." });
  }
}

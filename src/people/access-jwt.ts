// Cloudflare Access sign-in: the `Cf-Access-Jwt-Assertion` header Access adds to each request it
// let through, verified with jose (RS256, issuer = the team domain, audience = the application's
// AUD tag). The team's signing keys come from its certs endpoint, fetched once per isolate and again
// when a token names a kid not seen yet: Access rotates its keys every six weeks and keeps the old
// one valid for seven days, so a key is matched by kid and never pinned.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";

export const ACCESS_HEADER = "cf-access-jwt-assertion";

export type AccessConfig = { teamDomain: string; aud: string };

type AccessVars = { ACCESS_TEAM_DOMAIN?: string; ACCESS_AUD?: string; ENVIRONMENT?: string };

// A loopback issuer serves tests and `npm run dev`; anywhere else the team domain is https.
const LOOPBACK = /^http:\/\/127\.0\.0\.1(:\d{1,5})?$/;

/**
 * null: Access sign-in is off (both variables unset). A Problem: it is half set or unsafe, and a
 * request carrying an Access token is refused rather than let in some other way.
 */
export function accessConfig(env: AccessVars): AccessConfig | null | Problem {
  const teamDomain = (env.ACCESS_TEAM_DOMAIN ?? "").trim().replace(/\/+$/, "");
  const aud = (env.ACCESS_AUD ?? "").trim();
  if (teamDomain === "" && aud === "") return null;
  const misconfigured = (why: string) => new Problem("access-unavailable", { detail: "Sign-in through Cloudflare Access is not configured correctly on this gateway.", cause: why });
  if (teamDomain === "" || aud === "") return misconfigured("ACCESS_TEAM_DOMAIN and ACCESS_AUD must be set together");
  let url: URL;
  try {
    url = new URL(teamDomain);
  } catch {
    return misconfigured("ACCESS_TEAM_DOMAIN is not a URL");
  }
  const loopback = LOOPBACK.test(teamDomain);
  if (url.protocol !== "https:" && !(loopback && env.ENVIRONMENT !== "production")) {
    return misconfigured("ACCESS_TEAM_DOMAIN must be https:// (http://127.0.0.1 only outside production)");
  }
  if (url.pathname !== "/" || url.search || url.hash) return misconfigured("ACCESS_TEAM_DOMAIN is an origin, with no path");
  return { teamDomain: url.origin, aud };
}

const keySets = new Map<string, JWTVerifyGetKey>();

function keySetOf(teamDomain: string): JWTVerifyGetKey {
  let set = keySets.get(teamDomain);
  if (!set) {
    // Cached for 10 minutes; a token naming a kid not in the set refetches it, at most every 5 s
    // (a flood of made-up kids costs Cloudflare one fetch per isolate per 5 s, not one per token).
    set = createRemoteJWKSet(new URL(`${teamDomain}/cdn-cgi/access/certs`), { timeoutDuration: 3_000, cooldownDuration: 5_000 });
    keySets.set(teamDomain, set);
  }
  return set;
}

/**
 * The token's claims once it is Access's, for this application, and current; a Problem otherwise.
 * A service token (automation through Access) passes here: it names no person, but it is genuine.
 */
export async function verifyAccessJwt(token: string, config: AccessConfig): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keySetOf(config.teamDomain), {
      issuer: config.teamDomain,
      audience: config.aud,
      algorithms: ["RS256"],
      clockTolerance: 30,
      requiredClaims: ["exp", "iat"],
    });
    return payload;
  } catch (err) {
    if (isCertsFailure(err)) {
      log("error", "access.certs_unreachable", { error: String(err) });
      throw new Problem("access-unavailable", { detail: "Cloudflare Access's signing keys could not be fetched; retry shortly.", headers: { "Retry-After": "5" } });
    }
    throw new Problem("invalid-access-token", { detail: "The Cloudflare Access token is not valid for this gateway; sign in again.", cause: err instanceof errors.JOSEError ? err.code : String(err) });
  }
}

/** The signed-in person's e-mail address (lower-cased), or a Problem saying why not. */
export async function verifyAccessToken(token: string, config: AccessConfig): Promise<string> {
  const payload = await verifyAccessJwt(token, config);
  // Service tokens carry a common_name instead: they are automation, which uses API keys here.
  if (typeof payload.email !== "string" || payload.email === "") {
    throw new Problem("not-an-operator", { detail: "The Cloudflare Access token names no person (a service token?); automation uses an API key." });
  }
  return payload.email.toLowerCase();
}

/**
 * A certs endpoint that does not answer, answers an error or answers garbage is our outage, not a
 * bad token: jose reports those as a timeout, an invalid set, a generic error (a non-200 answer, a
 * body that is not JSON) or the fetch's own error. Claims, signatures and kids are the token's fault.
 */
function isCertsFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === "ERR_JOSE_GENERIC";
}

// Stage: authentication. A key in any other header → the credential → the per-IP failure filter →
// format and checksum (offline) → memory, KV, D1 → the key's state → its tenant's.
import type { MiddlewareHandler } from "hono";
import { Problem } from "../../core/problem.ts";
import { clientIp, countFailure, refuseIfBlocked } from "../../keys/auth-failures.ts";
import { extractCredential, rejectKeyInOtherHeaders } from "../../keys/credential.ts";
import { KeyRefused, verifyKey } from "../../keys/verify.ts";
import type { AppEnv } from "../context.ts";

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  rejectKeyInOtherHeaders(c.req.raw.headers);
  const presented = extractCredential(c.req.raw.headers);
  if (presented === null) throw new Problem("missing-credential", { detail: "Send an API key: Authorization: Bearer <key>." });
  const ip = clientIp(c.req.raw.headers);
  refuseIfBlocked(ip);
  try {
    c.set("principal", await verifyKey(c.get("stores"), c.get("defer"), presented));
  } catch (err) {
    if (err instanceof KeyRefused) c.set("refusedKey", err.key);
    if (err instanceof Problem && err.status === 401) await countFailure(c.env.AUTH_FAILURES, ip);
    throw err;
  }
  await next();
};

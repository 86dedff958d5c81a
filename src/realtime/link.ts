// The isolate's side of a connection's link to its key's object (limits/live-sockets.ts): opened
// before the origin is asked, so a key over its plan's connections, or one the object already
// knows is revoked, never reaches the origin. There is no failing open here: without the link
// nothing could close the socket on revocation.
import type { Context } from "hono";
import { deadline } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import type { AppEnv } from "../http/context.ts";
import { LIMITER_TIMEOUT_MS } from "../limits/lease-policy.ts";
import { authStateOf } from "../limits/leases.ts";
import { LIVE_OPEN_HEADER, type LiveOpen, type LiveRefusal } from "../limits/live-sockets.ts";
import { limiterUnavailable, refusalProblem } from "../limits/refusals.ts";
import { PLANS } from "../tenants/plans.ts";

export async function openLink(c: Context<AppEnv>, route: ProxyRoute): Promise<WebSocket> {
  const { key, tenant } = c.get("principal");
  const open: LiveOpen = {
    keyId: key.keyId,
    tenantId: key.tenantId,
    hash: key.hash,
    scope: route.scope,
    route: route.path,
    openedAt: Date.now(),
    state: authStateOf(key),
    maxConnections: PLANS[tenant.plan].maxConnections,
  };
  let res: Response;
  try {
    const request = new Request("https://key-limiter.internal/live", { headers: { upgrade: "websocket", [LIVE_OPEN_HEADER]: JSON.stringify(open) } });
    res = await deadline(c.get("stores").keyLimiter(key.keyId).fetch(request), LIMITER_TIMEOUT_MS, "the key's object");
  } catch (err) {
    log("error", "realtime.link_failed", { keyId: key.keyId, error: String(err) });
    throw limiterUnavailable();
  }
  if (res.webSocket) {
    res.webSocket.accept();
    return res.webSocket;
  }
  const refusal = (await res.json()) as LiveRefusal;
  if (refusal.reason === "connections") {
    throw new Problem("too-many-connections", {
      detail: `This API key already holds ${refusal.limit} open WebSocket connections, the most its plan allows; close one first.`,
      extensions: { limit: refusal.limit },
      cause: JSON.stringify({ keyId: key.keyId, tenantId: key.tenantId }),
    });
  }
  throw refusalProblem(key, refusal.reason === "scope" ? { ok: false, reason: "scope", scopes: [] } : { ok: false, reason: refusal.reason }, route.scope);
}

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
import { LINK_LOST, type Close } from "./close-codes.ts";

/**
 * An open link, watched from the moment it is accepted: the object may close it while the origin
 * is still being asked (a close event nobody listens to is lost), so its end is kept until the
 * relay takes it.
 */
export type Link = { socket: WebSocket; ended: Close | null; onEnd: (listener: (close: Close) => void) => void };

function watch(socket: WebSocket): Link {
  const listeners: ((close: Close) => void)[] = [];
  const link: Link = { socket, ended: null, onEnd: (l) => (link.ended ? l(link.ended) : listeners.push(l)) };
  const finish = (close: Close) => {
    if (link.ended) return;
    link.ended = close;
    for (const l of listeners) l(close);
  };
  // 4001/4003: the key's object ended it (revoked, disabled, deleted, expired, scope removed).
  // Anything else: the object went away (a deploy), and with it the promise to close on revocation.
  socket.addEventListener("close", (ev) => finish(ev.code === 4001 || ev.code === 4003 ? { code: ev.code, reason: ev.reason } : LINK_LOST));
  socket.addEventListener("error", () => finish(LINK_LOST));
  socket.accept();
  return link;
}

export async function openLink(c: Context<AppEnv>, route: ProxyRoute): Promise<Link> {
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
  if (res.webSocket) return watch(res.webSocket);
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

// A WebSocket route's handler. The upgrade has passed every stage like any request (key or
// ticket, scope, resource, networks, admission spending the route's `cost`); then the key's object
// opens a link (connections counted, revocation heard), the origin accepts its own signed upgrade,
// and the relay joins client, origin and link until one of them ends it.
import type { Context } from "hono";
import type { Sample } from "../analytics/rollup.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import type { AppEnv } from "../http/context.ts";
import { limiterAccess } from "../http/stages/admission.ts";
import { verifyHashed, type Principal } from "../keys/verify.ts";
import { admitRequest, type Decision } from "../limits/leases.ts";
import { refusalProblem } from "../limits/refusals.ts";
import { countResponse } from "../limits/usage-report.ts";
import { closeFor, closeQuietly, type Refused } from "./close-codes.ts";
import { openLink } from "./link.ts";
import { connectOrigin } from "./origin-socket.ts";
import { relay } from "./relay.ts";

export async function openRealtime(c: Context<AppEnv>, route: ProxyRoute): Promise<Response> {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new Problem("upgrade-required", {
      detail: "This is a WebSocket route: open it with GET and Upgrade: websocket.",
      headers: { Upgrade: "websocket", Connection: "Upgrade" },
    });
  }
  const link = await openLink(c, route);
  let origin;
  try {
    origin = await connectOrigin(c, route);
  } catch (err) {
    // The slot goes back. The object may have closed the link already: the refusal stands either way.
    closeQuietly(link.socket, { code: 1000, reason: "the origin did not accept" });
    throw err;
  }
  const [client, ours] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  ours.binaryType = "arraybuffer";
  ours.accept({ allowHalfOpen: true });
  const opened = Date.now();
  const totals = { in: 0, out: 0, bytesIn: 0, bytesOut: 0 };
  const counter = messageCounter(c, route);
  relay({
    client: ours,
    origin: origin.socket,
    link,
    maxMessageBytes: route.maxMessageBytes,
    admit: messageAdmission(c, route),
    count: (direction, bytes, refused) => {
      totals[direction]++;
      totals[direction === "in" ? "bytesIn" : "bytesOut"] += bytes;
      counter(direction, bytes, refused);
    },
    // The request's own log line was written at the upgrade: this one says how the connection went.
    ended: (close) =>
      log("info", "realtime.closed", { requestId: c.get("requestId"), keyId: c.get("principal").key.keyId, route: route.name, code: close.code, ms: Date.now() - opened, messages: totals }),
  });
  const headers: Record<string, string> = origin.protocol ? { "sec-websocket-protocol": origin.protocol } : {};
  return new Response(null, { status: 101, webSocket: client, headers });
}

/**
 * Each client message spends `messageCost` exactly as an HTTP request of this key would, checked
 * against the isolate's current copy of the key (memory, refreshed like any request's), not the
 * copy the upgrade saw: if a change never reached the key's object, the object adopts it from
 * here and closes every link the change disallows, as a push would have.
 */
function messageAdmission(c: Context<AppEnv>, route: ProxyRoute): (bytes: number) => Promise<Refused | null> {
  const access = limiterAccess(c);
  const stores = c.get("stores");
  const defer = c.get("defer");
  const { hash } = c.get("principal").key;
  const where = { ip: c.req.header("cf-connecting-ip") ?? null, resource: c.get("resource") ?? null };
  return async () => {
    let principal: Principal;
    try {
      principal = await verifyHashed(stores, defer, hash);
    } catch (err) {
      if (err instanceof Problem) return closeFor(err);
      throw err;
    }
    let decision: Decision;
    try {
      decision = await admitRequest(access, principal.key, principal.tenant, route.scope, route.messageCost, where);
    } catch (err) {
      log("error", "limiter.unreachable", { keyId: principal.key.keyId, error: String(err) });
      decision = { ok: false, reason: "unavailable" };
    }
    if (decision.ok) return null;
    if (decision.reason === "unavailable") {
      return route.failOpen ? null : { code: 1013, reason: "rate limiting is unavailable; try again later", outcome: "gateway_error", status: 503 };
    }
    return closeFor(refusalProblem(principal.key, decision, route.scope));
  };
}

/** Messages count in the key's usage like requests do, under WS-IN / WS-OUT and the route's path. */
function messageCounter(c: Context<AppEnv>, route: ProxyRoute): (direction: "in" | "out", bytes: number, refused: Refused | null) => void {
  const stores = c.get("stores");
  const defer = c.get("defer");
  const { key } = c.get("principal");
  const names = { in: `WS-IN ${route.path}`, out: `WS-OUT ${route.path}` };
  return (direction, bytes, refused) => {
    const sample: Sample = {
      at: Date.now(),
      route: names[direction],
      outcome: refused?.outcome ?? "valid",
      status: refused?.status ?? 200,
      latencyMs: null,
      cost: direction === "in" && !refused ? route.messageCost : 0,
      bytes,
    };
    countResponse(key, sample, () => stores.keyLimiter(key.keyId), defer);
  };
}

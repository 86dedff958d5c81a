// The origin's half of a WebSocket route: the client's upgrade, signed like any forwarded request
// (proxy/forward.ts), minus the ticket and the client's own handshake fields (the runtime makes
// its own handshake with the origin). A refusal or no answer is a problem, as for HTTP.
import type { Context } from "hono";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import type { AppEnv } from "../http/context.ts";
import { searchWithoutTicket } from "../keys/ticket.ts";
import { signedCall } from "../proxy/forward.ts";

/** The client's handshake with keygate, not keygate's with the origin (its protocol list is passed on). */
const CLIENT_HANDSHAKE = ["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept"];

export type OriginSocket = { socket: WebSocket; protocol: string | null };

export async function connectOrigin(c: Context<AppEnv>, route: ProxyRoute): Promise<OriginSocket> {
  const call = await signedCall(c, route, { body: null, search: searchWithoutTicket(c.get("url")) });
  for (const name of CLIENT_HANDSHAKE) call.headers.delete(name);
  call.headers.set("upgrade", "websocket");
  const requestId = c.get("requestId");

  // A timer rather than an AbortSignal: a signal would stay tied to the socket once it is open.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), route.timeoutMs)));
  const pending = call.send(new Request(call.url, { method: "GET", headers: call.headers, redirect: "manual" }));
  let res: Response | "timeout";
  try {
    res = await Promise.race([pending, timedOut]);
  } catch (err) {
    log("warn", "proxy.origin_unreachable", { route: route.name, requestId, error: String(err) });
    throw new Problem("origin-unreachable", { detail: "The origin could not be reached.", extensions: { gateway: true } });
  } finally {
    clearTimeout(timer);
  }
  if (res === "timeout") {
    // It may still answer: a socket nobody will relay is closed as soon as it exists.
    pending
      .then((late) => {
        // A socket must be accepted before it can be closed.
        late.webSocket?.accept();
        late.webSocket?.close(1001, "the gateway stopped waiting");
      })
      .catch(() => undefined);
    log("warn", "proxy.origin_timeout", { route: route.name, requestId });
    throw new Problem("origin-timeout", { detail: `The origin did not accept the WebSocket within ${route.timeoutMs} ms.`, extensions: { gateway: true } });
  }
  const socket = res.webSocket;
  if (!socket) {
    await res.body?.cancel().catch(() => undefined);
    log("warn", "proxy.origin_refused_upgrade", { route: route.name, requestId, status: res.status });
    throw new Problem("origin-unreachable", {
      detail: `The origin refused the WebSocket upgrade (HTTP ${res.status}).`,
      extensions: { gateway: true, "origin-status": res.status },
    });
  }
  // Binary frames as ArrayBuffer (a Blob would need an await per frame), and closes answered by
  // the relay itself, after it has passed them on (the runtime would answer them at once).
  socket.binaryType = "arraybuffer";
  socket.accept({ allowHalfOpen: true });
  return { socket, protocol: res.headers.get("sec-websocket-protocol") };
}

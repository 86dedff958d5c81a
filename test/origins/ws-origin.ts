// The echo origin's WebSocket side (attached to the same server by echo-origin.ts): what a
// realtime route forwards to, with a behaviour per path so the tests can watch the gateway cope.
//   /v1/realtime/echo…      accepts; echoes every message with its type (text as text, binary as binary)
//   /v1/realtime/identity   verifies the upgrade like the HTTP echo, accepts, sends one JSON text
//                           { verified, reason?, identity?, headers, rawHeaders, url }, then echoes
//   /v1/realtime/refuse     answers the upgrade 403, no WebSocket
//   /v1/realtime/drop       accepts; the first message destroys the TCP socket (no close frame)
//   /v1/realtime/close      accepts; `close <code> <reason>` closes with that code and reason
//   /v1/realtime/push       accepts; `push <n>` sends m1…mn at once, `flood` a message every 20 ms
//   /v1/realtime/late       accepts after 800 ms, then echoes (a change can land while keygate waits)
//   /v1/realtime-slow…      never answers the upgrade (the socket goes after 5 s)
//   anything else           404
// Apart from their one command, drop, close and push echo like echo does. Nothing is kept across
// connections (each test sees only its own socket) beyond the open sockets server.close() ends.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { verifyKeygateRequest, type Jwks } from "../../origin/verify.ts";

const SLOW_HOLD_MS = 5000;
const FLOOD_EVERY_MS = 20;

/** Serves WebSocket upgrades on the echo origin's `server` (on `port`, trusting `jwks`). */
export function attachWebSockets(server: Server, port: number, jwks: Jwks): void {
  const upgraded = new Set<Duplex>();
  const upgrade = webSocketUpgrade(port, jwks);
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    upgrade(req, socket, head);
  });
  // Upgraded sockets leave http's bookkeeping, so server.close() would wait for every WebSocket a
  // test left open (vitest tears its global setup down before the Worker pool): they go with it.
  const close = server.close.bind(server);
  server.close = ((callback?: (err?: Error) => void) => {
    for (const socket of upgraded) socket.destroy();
    return close(callback);
  }) as Server["close"];
}

function webSocketUpgrade(port: number, jwks: Jwks) {
  // No deflate: the gateway counts message bytes, and the tests compare them with what they sent.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A peer that resets mid-handshake must not take the whole test origin down with it.
    socket.on("error", () => {});
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const path = url.pathname;
    const accept = (then: (ws: WebSocket) => void) => wss.handleUpgrade(req, socket, head, then);
    if (path === "/v1/realtime-slow" || path.startsWith("/v1/realtime-slow/")) return hold(socket);
    if (path === "/v1/realtime/refuse") return refuse(socket, 403, "Forbidden", "refused by the test origin");
    if (path.startsWith("/v1/realtime/echo")) return accept(echo);
    if (path === "/v1/realtime/late") return void setTimeout(() => accept(echo), 800);
    if (path === "/v1/realtime/drop") return accept((ws) => ws.once("message", () => ws.terminate()));
    if (path === "/v1/realtime/close") return accept(closeOnCommand);
    if (path === "/v1/realtime/push") return accept(pushOnCommand);
    if (path === "/v1/realtime/identity") {
      void identify(req, url, port, jwks).then((report) =>
        accept((ws) => {
          ws.send(JSON.stringify(report));
          echo(ws);
        }),
      );
      return;
    }
    refuse(socket, 404, "Not Found", `no WebSocket at ${path} on the test origin`);
  };
}

function echo(ws: WebSocket): void {
  ws.on("message", (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
}

function closeOnCommand(ws: WebSocket): void {
  ws.on("message", (data, isBinary) => {
    const command = isBinary ? null : /^close (\d+)(?: ([\s\S]*))?$/.exec(String(data));
    if (!command) return ws.send(data as Buffer, { binary: isBinary });
    const code = Number(command[1]);
    const reason = command[2] ?? "";
    // ws throws on a code no endpoint may send (1005, 1006, 2999…) or a reason over 123 bytes, and
    // only after marking the socket closing, which would hang the test: answer instead.
    if (!sendableCode(code) || Buffer.byteLength(reason) > 123) return ws.send(`cannot close with ${code} and a ${Buffer.byteLength(reason)}-byte reason`);
    ws.close(code, reason);
  });
}

/** RFC 6455 §7.4: the close codes an endpoint may put in a close frame. */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);
}

function pushOnCommand(ws: WebSocket): void {
  let flood: NodeJS.Timeout | undefined;
  ws.on("close", () => clearInterval(flood));
  ws.on("message", (data, isBinary) => {
    const text = isBinary ? "" : String(data);
    const push = /^push (\d+)$/.exec(text);
    if (push) {
      for (let i = 1; i <= Number(push[1]); i++) ws.send(`m${i}`);
    } else if (text === "flood" && !flood) {
      let i = 0;
      flood = setInterval(() => ws.readyState === ws.OPEN && ws.send(`flood ${++i}`), FLOOD_EVERY_MS);
    } else {
      ws.send(data as Buffer, { binary: isBinary });
    }
  });
}

/** Reads the upgrade and answers nothing, as a hung origin would. */
function hold(socket: Duplex): void {
  const timer = setTimeout(() => socket.destroy(), SLOW_HOLD_MS);
  timer.unref();
  socket.on("close", () => clearTimeout(timer));
  socket.on("end", () => socket.destroy());
  socket.resume();
}

function refuse(socket: Duplex, status: number, text: string, body: string): void {
  const bytes = Buffer.byteLength(body);
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${bytes}\r\nx-origin: echo\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What the identity path reports: the verification and every header the upgrade carried. */
async function identify(req: IncomingMessage, url: URL, port: number, jwks: Jwks): Promise<Record<string, unknown>> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : [value ?? ""]) headers.append(name, v);
  }
  let verification: Record<string, unknown>;
  try {
    const identity = await verifyKeygateRequest(new Request(url, { method: req.method, headers }), { jwks, authority: `127.0.0.1:${port}` });
    verification = { verified: true, identity: { ...identity, body: undefined } };
  } catch (err) {
    verification = { verified: false, reason: (err as { reason?: string }).reason ?? String(err) };
  }
  return {
    ...verification,
    headers: Object.fromEntries([...(headers as unknown as Iterable<[string, string]>)]),
    rawHeaders: req.rawHeaders,
    url: url.href,
  };
}

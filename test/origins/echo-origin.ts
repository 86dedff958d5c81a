// A real HTTP origin for the Worker's tests (Node, started by test/setup/origins.ts). It verifies
// every request with the TypeScript helper origins use (origin/verify.ts) and answers with what it
// received, so tests can see exactly what crossed the gateway. Paths with special behaviour:
//   /v1/echo/slow        answers after 3 s (timeouts); so does /v1/ingest-slow
//   /v1/echo/cors        answers with CORS, Set-Cookie and X-Powered-By headers of its own
//   /v1/echo/status/NNN  answers with status NNN
//   /v1/echo/stream      streams its answer in chunks
//   /v1/echo/slow/stream answers at once, then streams for 500 ms (past the slow route's 300 ms timeout)
//   /v1/echo/reset       sends headers and part of a body, then destroys the socket
//   /v1/ingest           202 accepted (/v1/ingest/refuse: 422)
//   /v1/jobs/{id}/cancel 200
// WebSocket upgrades (realtime routes) go to ws-origin.ts, which lists its paths.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { verifyKeygateRequest } from "../../origin/verify.ts";
import { attachWebSockets } from "./ws-origin.ts";

export type Jwks = { keys: JsonWebKey[] };

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function startEchoOrigin(port: number, jwks: Jwks): Promise<Server> {
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : [value ?? ""]) headers.append(name, v);
    }
    const request = new Request(url, { method: req.method, headers, body: body.length > 0 ? new Uint8Array(body) : undefined });
    let verification: Record<string, unknown>;
    try {
      const identity = await verifyKeygateRequest(request, { jwks, authority: `127.0.0.1:${port}` });
      verification = { verified: true, identity: { ...identity, body: undefined } };
    } catch (err) {
      verification = { verified: false, reason: (err as { reason?: string }).reason ?? String(err) };
    }
    const echo = JSON.stringify({
      ...verification,
      method: req.method,
      path: url.pathname,
      query: url.search,
      rawHeaders: req.rawHeaders,
      headers: Object.fromEntries([...(headers as unknown as Iterable<[string, string]>)]),
      body: body.toString("utf8"),
    });
    const path = url.pathname;
    if (path === "/v1/echo/slow" || path === "/v1/ingest-slow" || path === "/v1/tools/slow") {
      await new Promise((r) => setTimeout(r, 3000));
    }
    if (path.startsWith("/v1/echo/status/") || path === "/v1/tools/teapot") {
      res.writeHead(path === "/v1/tools/teapot" ? 418 : Number(path.split("/").pop()), { "content-type": "application/json", "x-origin": "echo" });
      res.end(echo);
      return;
    }
    if (path === "/v1/echo/cors") {
      // An origin trying to speak for the gateway: keygate must not pass these on.
      res.writeHead(200, {
        "content-type": "application/json",
        "access-control-allow-origin": "*",
        "access-control-allow-credentials": "true",
        "set-cookie": "session=origin; Path=/",
        "x-powered-by": "Express",
      });
      res.end(echo);
      return;
    }
    if (path === "/v1/echo/stream" || path === "/v1/echo/slow/stream") {
      res.writeHead(200, { "content-type": "text/plain", "x-origin": "echo" });
      for (let i = 0; i < 5; i++) {
        res.write(`chunk ${i}\n`);
        await new Promise((r) => setTimeout(r, path === "/v1/echo/stream" ? 20 : 100));
      }
      res.end();
      return;
    }
    if (path === "/v1/echo/reset") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "1000000" });
      res.write("partial");
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (path === "/v1/tools/problem") {
      // An origin's own RFC 9457 answer: its problem, not the gateway's.
      res.writeHead(409, { "content-type": "application/problem+json", "x-origin": "echo" });
      res.end(JSON.stringify({ type: "https://origin.example/out-of-stock", title: "Out of stock", status: 409, sku: "a-1" }));
      return;
    }
    if (path === "/v1/ingest/refuse") {
      res.writeHead(422, { "content-type": "application/json", "x-origin": "echo" });
      res.end(JSON.stringify({ refused: true }));
      return;
    }
    const status = path.startsWith("/v1/ingest") ? 202 : 200;
    res.writeHead(status, { "content-type": "application/json", "x-origin": "echo", connection: "keep-alive", "keep-alive": "timeout=5" });
    res.end(echo);
  });
  attachWebSockets(server, port, jwks);
  // Node's parser refuses header values with control characters that workerd forwards (the fuzz
  // sends them); its bare 400 is still this origin's answer, so it says so like every other one.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nx-origin: echo\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

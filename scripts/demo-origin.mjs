#!/usr/bin/env node
// The demo origin `npm run dev` starts beside the gateway: one small HTTP server standing in for
// the query, ingest and realtime services. Like a real origin it trusts nothing it is sent unless
// keygate's signature verifies (origin/verify.ts, with the gateway's published JWKS), and it
// reports on ingest jobs through the gateway's own API with its own key.
//   POST /v1/query               → 200 with a few made-up rows and who asked
//   POST /v1/ingest              → 202, then reports running (with progress) and completed
//   POST /v1/jobs/{id}/cancel    → 200, and stops reporting on that job
//   GET  /v1/realtime…           → a WebSocket: says {"hello": keyId, "tenant": tenantId}, then echoes
// Environment: DEMO_ORIGIN_PORT (8788), KEYGATE_URL (http://127.0.0.1:8787),
//              KEYGATE_REPORTER_KEY (a jobs:report key; without it jobs stay pending).
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { KeygateSignatureError, remoteJwks, verifyKeygateRequest } from "../origin/verify.ts";

const port = Number(process.env.DEMO_ORIGIN_PORT ?? 8788);
const gateway = process.env.KEYGATE_URL ?? "http://127.0.0.1:8787";
const reporterKey = process.env.KEYGATE_REPORTER_KEY;
const cancelled = new Set();

// The gateway's published keys, refetched when an unknown kid shows up (a rotation).
const jwks = remoteJwks(`${gateway}/.well-known/jwks.json`);

/** @param {import("node:http").IncomingMessage} req */
async function toRequest(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) for (const v of [value].flat()) if (v !== undefined) headers.append(name, v);
  return new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined });
}

/** @param {string} jobId @param {Record<string, unknown>} event */
async function report(jobId, event) {
  if (!reporterKey || cancelled.has(jobId)) return;
  const res = await fetch(`${gateway}/v1/jobs/${jobId}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${reporterKey}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  if (res.status === 409) cancelled.add(jobId); // cancelled (or finished) at the gateway: stop
  console.log(`demo origin: job ${jobId} → ${event.status} (${res.status})`);
}

/**
 * The request's signed identity, or why it is refused (logged): nothing unsigned is served.
 * @param {Request} request @param {string} what
 */
async function verified(request, what) {
  try {
    return await verifyKeygateRequest(request, { jwks, authority: `127.0.0.1:${port}` });
  } catch (err) {
    if (!(err instanceof KeygateSignatureError)) throw err;
    console.log(`demo origin: refused an unsigned or tampered ${what} (${err.reason})`);
    return { refused: err.reason };
  }
}

/** @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} body */
const send = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const server = createServer(async (req, res) => {
  try {
    const request = await toRequest(req);
    const identity = await verified(request, "request");
    if ("refused" in identity) return send(res, 401, { error: "signature", reason: identity.refused });
    const path = new URL(request.url).pathname;
    const body = identity.body.byteLength ? JSON.parse(new TextDecoder().decode(identity.body)) : null;
    const { body: _bytes, ...who } = identity;
    if (path === "/v1/query") {
      return send(res, 200, { rows: [{ day: "2026-11-21", events: 1042 }, { day: "2026-11-22", events: 977 }], query: body, servedFor: who });
    }
    if (path === "/v1/ingest" && identity.jobId) {
      const jobId = identity.jobId;
      setTimeout(() => void report(jobId, { status: "running", progress: { done: 0, total: 2 } }), 500);
      setTimeout(() => void report(jobId, { status: "running", progress: { done: 1, total: 2 } }), 1000);
      setTimeout(() => void report(jobId, { status: "completed", result: { rows: 2, source: body?.source } }), 1500);
      return send(res, 202, { accepted: jobId });
    }
    const cancel = /^\/v1\/jobs\/([^/]+)\/cancel$/.exec(path);
    if (cancel) {
      cancelled.add(cancel[1]);
      return send(res, 200, { cancelled: cancel[1] });
    }
    return send(res, 404, { error: "no such path on the demo origin" });
  } catch (err) {
    console.error("demo origin:", err);
    send(res, 500, { error: "demo origin failed" });
  }
});

// The realtime route's upgrade is signed like any forwarded GET (no body): verified the same way.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on("upgrade", async (req, socket, head) => {
  socket.on("error", () => {});
  /** @param {number} status @param {unknown} body */
  const refuse = (status, body) => {
    const text = JSON.stringify(body);
    socket.once("finish", () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Not Found"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  };
  try {
    const request = await toRequest(req);
    const identity = await verified(request, "WebSocket upgrade");
    if ("refused" in identity) return refuse(401, { error: "signature", reason: identity.refused });
    const path = new URL(request.url).pathname;
    if (path !== "/v1/realtime" && !path.startsWith("/v1/realtime/")) return refuse(404, { error: "no such WebSocket on the demo origin" });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ hello: identity.keyId, tenant: identity.tenantId }));
      ws.on("message", (data, isBinary) => ws.send(/** @type {Buffer} */ (data), { binary: isBinary }));
    });
  } catch (err) {
    console.error("demo origin:", err);
    socket.destroy();
  }
});

server.listen(port, "127.0.0.1", () => console.log(`demo origin: listening on http://127.0.0.1:${port} (query + ingest + realtime)`));

// WebSockets through the Worker's own fetch handler, as a client sees them: the upgrade's answer,
// and a socket whose messages and close can be awaited.
import { exports } from "cloudflare:workers";
import { BASE } from "./gateway.ts";

export type Opened = { res: Response; ws: WebSocket | null; messages: (string | ArrayBuffer)[]; closed: Promise<{ code: number; reason: string }> };

export async function openSocket(path: string, opts: { key?: string; headers?: Record<string, string>; ip?: string } = {}): Promise<Opened> {
  const headers = new Headers(opts.headers);
  if (!headers.has("upgrade")) headers.set("upgrade", "websocket");
  headers.set("cf-connecting-ip", opts.ip ?? `198.51.100.${Math.floor(Math.random() * 250) + 1}`);
  if (opts.key) headers.set("authorization", `Bearer ${opts.key}`);
  const res = await exports.default.fetch(new Request(BASE + path, { headers }));
  const ws = res.webSocket;
  const messages: (string | ArrayBuffer)[] = [];
  if (!ws) return { res, ws: null, messages, closed: Promise.resolve({ code: 0, reason: "not opened" }) };
  ws.binaryType = "arraybuffer";
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (ev) => resolve({ code: ev.code, reason: ev.reason }));
    // workerd may report an error just before a clean close: the close, when it follows, wins.
    ws.addEventListener("error", () => setTimeout(() => resolve({ code: 1006, reason: "error" }), 200));
  });
  ws.addEventListener("message", (ev) => {
    messages.push(ev.data as string | ArrayBuffer);
  });
  ws.accept();
  return { res, ws, messages, closed };
}

/** Waits until `n` messages have arrived (or fails after `ms`). */
export async function nextMessages(o: Opened, n: number, ms = 3000): Promise<(string | ArrayBuffer)[]> {
  const until = Date.now() + ms;
  while (o.messages.length < n) {
    if (Date.now() > until) throw new Error(`only ${o.messages.length} of ${n} messages within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return o.messages.slice(0, n);
}

export async function closedWithin(o: Opened, ms: number): Promise<{ code: number; reason: string; ms: number }> {
  const started = Date.now();
  const result = await Promise.race([o.closed, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  if (!result) throw new Error(`still open after ${ms} ms`);
  return { ...result, ms: Date.now() - started };
}

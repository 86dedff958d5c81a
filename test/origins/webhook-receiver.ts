// A real webhook receiver for the alert tests (Node, started by test/setup/origins.ts). Every
// delivery is verified with the official `standardwebhooks` package against the secret the test
// registered for its channel, and recorded with its raw headers and body. Channels keep parallel
// test files apart: each test uses its own.
//   POST /hooks/{channel}        a delivery: verified, recorded, answered 204 (or as configured)
//   PUT  /control/{channel}      {secret?, fail?: N, failStatus?: 500, redirect?: N, delayMs?}:
//                                the secret to verify with; answer failStatus to the next N
//                                deliveries, a 302 to the next N after those; wait delayMs first
//   GET  /control/{channel}      {deliveries: [...]}: what arrived, oldest first
import { createServer, type IncomingMessage, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

export type Delivery = {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  error: string | null;
  /** The status this receiver answered. */
  answered: number;
  receivedAt: number;
};

type Channel = { secret?: string; fail: number; failStatus: number; redirect: number; delayMs: number; deliveries: Delivery[] };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function verify(secret: string | undefined, body: string, headers: Record<string, string>): { verified: boolean; error: string | null } {
  if (!secret) return { verified: false, error: "no secret registered for this channel" };
  try {
    new Webhook(secret).verify(body, headers);
    return { verified: true, error: null };
  } catch (err) {
    return { verified: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export function startWebhookReceiver(port: number): Promise<Server> {
  const channels = new Map<string, Channel>();
  const channel = (name: string) => {
    let c = channels.get(name);
    if (!c) channels.set(name, (c = { fail: 0, failStatus: 500, redirect: 0, delayMs: 0, deliveries: [] }));
    return c;
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const [, kind, name] = url.pathname.split("/");
    if (!name || (kind !== "hooks" && kind !== "control")) {
      res.writeHead(404).end();
      return;
    }
    const c = channel(name);
    if (kind === "control") {
      if (req.method === "PUT") {
        const set = JSON.parse(body || "{}") as Partial<Pick<Channel, "secret" | "fail" | "failStatus" | "redirect" | "delayMs">>;
        Object.assign(c, set);
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ deliveries: c.deliveries }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
    const { verified, error } = verify(c.secret, body, headers);
    if (c.delayMs > 0) await new Promise((r) => setTimeout(r, c.delayMs));
    let answered = 204;
    if (c.fail > 0) {
      c.fail--;
      answered = c.failStatus;
    } else if (c.redirect > 0) {
      c.redirect--;
      answered = 302;
    }
    c.deliveries.push({
      id: headers["webhook-id"] ?? null,
      timestamp: headers["webhook-timestamp"] ?? null,
      signature: headers["webhook-signature"] ?? null,
      headers,
      body,
      verified,
      error,
      answered,
      receivedAt: Date.now(),
    });
    if (res.destroyed) return;
    res.writeHead(answered, answered === 302 ? { location: `http://127.0.0.1:${port}/hooks/${name}-redirected` } : {}).end();
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

// bench/hono-chain.mjs: what a stage costs Hono's chain itself. Apps with one and with fourteen
// more pass-through middlewares on /v1/*, and the same fourteen run by a hand-written chain inside
// one handler; GET /?app=NAME&n=N calls that app's fetch N times in a row inside the isolate.
import { Hono, type MiddlewareHandler } from "hono";

const STAGES = 15;
const pass: MiddlewareHandler = (_c, next) => next();
const answer = () => new Response("ok");

function honoChain(stages: number): Hono {
  const app = new Hono();
  for (let i = 0; i < stages; i++) app.use("/v1/*", pass);
  app.all("/v1/*", answer);
  return app;
}

/** The same pass-through stages, each handed a plain `next`: no Hono dispatch between them. */
function handWritten(stages: number): Hono {
  const app = new Hono();
  const chain = Array.from({ length: stages }, () => (next: () => unknown) => next());
  const run = (i: number): unknown => (i < chain.length ? chain[i]!(() => run(i + 1)) : answer());
  app.all("/v1/*", () => run(0) as Response);
  return app;
}

const APPS: Record<string, Hono> = { one: honoChain(1), [`hono-${STAGES}`]: honoChain(STAGES), [`hand-${STAGES}`]: handWritten(STAGES) };

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const app = APPS[url.searchParams.get("app") ?? ""];
    if (!app) return new Response(`apps: ${Object.keys(APPS).join(", ")}`, { status: 404 });
    const n = Number(url.searchParams.get("n") ?? "1");
    const inner = new Request("https://gw.test/v1/query", { method: "POST" });
    for (let i = 0; i < n; i++) await (await app.fetch(inner)).arrayBuffer();
    return new Response("ok");
  },
};

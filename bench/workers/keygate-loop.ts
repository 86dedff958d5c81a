// keygate-main.ts plus one path, GET /__loop?n=N&key=K, which calls keygate's fetch handler N times
// in a row inside the isolate (POST /v1/query with key K and a small JSON body) and answers once.
// bench/stage-costs.mjs times it from outside: per request, what keygate's stages cost in the
// isolate itself, with no HTTP, no load generator and no other process in the number.
import main from "./keygate-main.ts";

export * from "./keygate-main.ts";

type AnyEnv = Record<string, any>;

const BODY = new TextEncoder().encode('{"sql":"select 1"}');

async function loop(url: URL, env: AnyEnv, ctx: unknown): Promise<Response> {
  const n = Number(url.searchParams.get("n") ?? "1");
  const key = url.searchParams.get("key") ?? "";
  for (let i = 0; i < n; i++) {
    const request = new Request(`${url.origin}/v1/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": String(BODY.byteLength), "cf-connecting-ip": "198.51.100.7" },
      body: BODY,
    });
    const res: Response = await main.fetch(request, env, ctx);
    await res.arrayBuffer();
    // Every cut answers 200; anything else means the loop measured a refusal.
    if (res.status !== 200) return new Response(`request ${i} answered ${res.status}`, { status: 500 });
  }
  return new Response("ok");
}

export default {
  fetch(request: Request, env: AnyEnv, ctx: unknown) {
    const url = new URL(request.url);
    return url.pathname === "/__loop" ? loop(url, env, ctx) : main.fetch(request, env, ctx);
  },
  scheduled: main.scheduled,
};

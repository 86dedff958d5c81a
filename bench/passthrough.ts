// Scenario (a): the bare pass-through Worker every keygate number is compared with. It forwards
// the request as it came (method, path, query, headers, streamed body) to ORIGIN_URL and returns
// the origin's response. No checks, no stores: what any Worker in front of an origin pays.
//
// With ORIGIN bound (a workerd `external` service pointing at the origin) the request goes
// straight to workerd's HTTP client; without it, through global fetch(), which Miniflare routes
// through its own outbound interceptor Worker first (see bench/workers/outbound.ts). keygate is
// measured both ways too, so like is always compared with like.
type Env = { ORIGIN_URL: string; ORIGIN?: { fetch: typeof fetch } };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const incoming = new URL(request.url);
    const forwarded = new Request(new URL(incoming.pathname + incoming.search, env.ORIGIN_URL), request);
    return env.ORIGIN ? env.ORIGIN.fetch(forwarded) : fetch(forwarded);
  },
};

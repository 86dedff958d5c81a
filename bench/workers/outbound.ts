// Miniflare sends every global fetch() of a Worker through a small JavaScript Worker of its own
// (its "outbound interceptor", which strips CF-Connecting-IP and adds CF-Worker) before workerd's
// HTTP client. Measured here it costs ~70 µs of the single JS thread per subrequest, about a third
// of a bare pass-through: an artifact of the local harness that neither bare workerd nor the edge
// has. When the bench binds BENCH_ORIGIN (a workerd `external` service pointing at the origin),
// global fetch goes straight to workerd's HTTP client instead, the way `workerd serve` with an
// `internet` network service does. The Workers without the binding (passthrough-mf, keygate-mf)
// keep Miniflare's path, so the report can show both.
type Fetcher = { fetch: typeof fetch };

let patched = false;

export function useNativeOutbound(env: Record<string, any>): void {
  if (patched || !env.BENCH_ORIGIN) return;
  patched = true;
  const origin = env.BENCH_ORIGIN as Fetcher;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => origin.fetch(input as RequestInfo, init)) as typeof fetch;
}

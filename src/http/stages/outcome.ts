// Stage: every /v1 request's outcome, status class, latency and cost, counted once it is answered.
// A request whose key is known (valid, or refused for its own state) goes into that key's usage,
// which rides to the key's object with its next lease call; one without (missing, malformed or
// unknown key, a URL refused before authentication) into this isolate's keyless counts. Either way
// no store is written per request: README "Analytics". Where an Analytics Engine dataset is bound,
// the request is also one data point there (not a store call: the runtime batches the writes).
import type { MiddlewareHandler } from "hono";
import { writeRequestPoint } from "../../analytics/engine.ts";
import { countKeyless, countNetwork, flushKeyless, KEYLESS_FLUSH_MS } from "../../analytics/keyless.ts";
import { clientNetwork } from "../../analytics/network.ts";
import { AUTH_FAILURES, outcomeOf } from "../../analytics/outcome.ts";
import type { Sample } from "../../analytics/rollup.ts";
import { Problem } from "../../core/problem.ts";
import { countResponse } from "../../limits/usage-report.ts";
import type { AppEnv } from "../context.ts";

/** Route of a request refused at authentication: it was never matched to a route. */
export const UNAUTHENTICATED_ROUTE = "(unauthenticated)";

export const recordOutcome: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  // A person's admin requests are not API traffic: they have no key to count against.
  if (c.get("principal")?.operator) return;
  const key = c.get("principal")?.key ?? c.get("refusedKey");
  // A CORS preflight, answered before authentication, is no API request.
  if (!key && !c.error && c.req.method === "OPTIONS") return;
  const at = Date.now();
  const outcome = outcomeOf(c.res.status, c.error instanceof Problem ? c.error : undefined);
  const latencyMs = at - started;
  // An MCP tool call counts under its route, named for its tool: "MCP:query /v1/query".
  const tool = c.get("tool");
  const sample: Sample = {
    at,
    // Refused at authentication, a request was never matched to a route, whether its key is known or not.
    route: c.get("principal") ? `${tool ? `MCP:${tool}` : c.req.method} ${c.get("route")?.usageName ?? "(no route)"}` : UNAUTHENTICATED_ROUTE,
    outcome,
    status: c.res.status,
    latencyMs,
    cost: c.get("charged") ?? 0,
  };
  const stores = c.get("stores");
  const defer = c.get("defer");
  let flush = false;
  if (key) countResponse(key, sample, () => stores.keyLimiter(key.keyId), defer);
  else flush = countKeyless(sample);
  if (AUTH_FAILURES.includes(outcome)) flush = countNetwork(clientNetwork(c.req.header("cf-connecting-ip")), outcome, at) || flush;
  writeRequestPoint(c.env.ANALYTICS, { tenantId: key?.tenantId ?? "", keyId: key?.keyId ?? "", route: sample.route, outcome, latencyMs, cost: sample.cost, status: sample.status });
  // The isolate's batch, not this request's work: kept alive, but the access log does not wait for it.
  if (flush) c.executionCtx.waitUntil(new Promise((r) => setTimeout(r, KEYLESS_FLUSH_MS)).then(() => flushKeyless(stores.background.d1)));
};

// Stage: open the request's metered stores and deferred-work list, and write one structured
// access-log line per request once its background work is done: for every refusal and error, and
// for the share of the rest that ACCESS_LOG_SUCCESS_SAMPLE asks for (analytics counts them all).
import type { MiddlewareHandler } from "hono";
import { log, loggablePath } from "../../core/log.ts";
import { Problem } from "../../core/problem.ts";
import { accessLogSuccessSample, exposeStoreMetrics } from "../../config/settings.ts";
import { openStores } from "../../db/client.ts";
import type { AppEnv } from "../context.ts";

export const accessLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  const url = new URL(c.req.url);
  c.set("url", url);
  const stores = openStores(c.env);
  const deferred: Promise<unknown>[] = [];
  c.set("stores", stores);
  c.set("defer", (p) => {
    deferred.push(p);
    c.executionCtx.waitUntil(p);
  });
  await next();
  c.res.headers.set("X-Request-Id", c.get("requestId"));
  if (exposeStoreMetrics(c.env)) c.res.headers.set("Server-Timing", stores.meter.serverTiming());
  const status = c.res.status;
  if (status < 400) {
    const share = accessLogSuccessSample(c.env.ACCESS_LOG_SUCCESS_SAMPLE);
    if (share < 1 && Math.random() >= share) return;
  }
  const principal = c.get("principal");
  const problem = c.error instanceof Problem ? c.error : undefined;
  const line = {
    requestId: c.get("requestId"),
    method: c.req.method,
    path: loggablePath(url),
    status,
    ms: Date.now() - started,
    keyId: principal?.key.keyId,
    tenantId: principal?.key.tenantId,
    problem: problem?.kind,
    cause: problem?.options.cause,
    ip: c.req.header("cf-connecting-ip"),
    // The MCP tool this request is a call of (its /v1/mcp exchange has a line of its own, same requestId).
    tool: c.get("tool"),
  };
  // Logged once the background work is done, so the store counts include cache fills.
  c.executionCtx.waitUntil(
    Promise.allSettled(deferred).then(() =>
      log(status >= 500 ? "error" : "info", "request", { ...line, stores: stores.meter.toJSON() }),
    ),
  );
};

// The pipeline's stages, each small enough to read at a glance. src/app.ts puts them in order.
import type { MiddlewareHandler } from "hono";
import { openStores } from "../db/client.ts";
import { clientIp, countFailure, refuseIfBlocked } from "../keys/auth-failures.ts";
import { containsKeyLike } from "../keys/format.ts";
import { verifyKey } from "../keys/verify.ts";
import type { AppEnv } from "./context.ts";
import { extractCredential, rejectAmbiguousPath, rejectCredentialInUrl, rejectKeyInOtherHeaders } from "./credential.ts";
import { log } from "./log.ts";
import { Problem } from "./problem.ts";

/** Opens the metered stores and the request's deferred-work list; logs one line per request. */
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
  if (c.env.EXPOSE_STORE_METRICS === "true") c.res.headers.set("Server-Timing", stores.meter.serverTiming());
  const principal = c.var.principal;
  const problem = c.error instanceof Problem ? c.error : undefined;
  const line = {
    requestId: c.get("requestId"),
    method: c.req.method,
    // The path only (a query string is where a careless client puts its key), decoded so that
    // scrub() also catches a percent-encoded key.
    path: loggablePath(url),
    status: c.res.status,
    ms: Date.now() - started,
    keyId: principal?.key.keyId,
    tenantId: principal?.key.tenantId,
    problem: problem?.kind,
    cause: problem?.options.cause,
    ip: c.req.header("cf-connecting-ip"),
  };
  // Logged once the background work is done, so the store counts include cache fills.
  c.executionCtx.waitUntil(
    Promise.allSettled(deferred).then(() =>
      log(c.res.status >= 500 ? "error" : "info", "request", { ...line, stores: stores.meter.toJSON() }),
    ),
  );
};

const REQUEST_ID = /^[\w\-=.:]{1,128}$/;

/** An incoming X-Request-Id is kept when it is short, plain and not a key; otherwise a new one. */
export function acceptedRequestId(incoming: string | undefined): string {
  if (incoming && REQUEST_ID.test(incoming) && !containsKeyLike(incoming)) return incoming;
  return crypto.randomUUID();
}

export function loggablePath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/** A key anywhere in the URL, or a path that could be read two ways, is refused up front. */
export const urlHygiene: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = c.get("url");
  rejectCredentialInUrl(url);
  rejectAmbiguousPath(url);
  await next();
};

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  rejectKeyInOtherHeaders(c.req.raw.headers);
  const presented = extractCredential(c.req.raw.headers);
  if (presented === null) throw new Problem("missing-credential", { detail: "Send an API key: Authorization: Bearer <key>." });
  const ip = clientIp(c.req.raw.headers);
  refuseIfBlocked(ip);
  try {
    c.set("principal", await verifyKey(c.get("stores"), c.get("defer"), presented));
  } catch (err) {
    if (err instanceof Problem && err.status === 401) await countFailure(c.env.AUTH_FAILURES, ip);
    throw err;
  }
  await next();
};

// Stage: identify the request. A valid incoming X-Request-Id is kept, otherwise one is generated.
// Hono's requestId() would keep a key pasted into the header, so keygate's rule decides; the
// X-Request-Id answer field is set by the access-log stage, over any an origin sent.
import type { MiddlewareHandler } from "hono";
import { containsKeyLike } from "../../core/redact.ts";
import type { AppEnv } from "../context.ts";

const REQUEST_ID = /^[\w\-=.:]{1,128}$/;

/** An incoming X-Request-Id is kept when it is short, plain and not a key; otherwise a new one. */
export function acceptedRequestId(incoming: string | undefined): string {
  if (incoming && REQUEST_ID.test(incoming) && !containsKeyLike(incoming)) return incoming;
  return crypto.randomUUID();
}

export const requestId: MiddlewareHandler<AppEnv> = (c, next) => {
  c.set("requestId", acceptedRequestId(c.req.header("x-request-id")));
  return next();
};

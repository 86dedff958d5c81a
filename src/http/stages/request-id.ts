// Stage: identify the request. A valid incoming X-Request-Id is kept, otherwise one is generated.
// Hono's own check would keep a key pasted into the header, so keygate's rule decides.
import { requestId as honoRequestId } from "hono/request-id";
import { containsKeyLike } from "../../core/redact.ts";

const REQUEST_ID = /^[\w\-=.:]{1,128}$/;

/** An incoming X-Request-Id is kept when it is short, plain and not a key; otherwise a new one. */
export function acceptedRequestId(incoming: string | undefined): string {
  if (incoming && REQUEST_ID.test(incoming) && !containsKeyLike(incoming)) return incoming;
  return crypto.randomUUID();
}

export const requestId = honoRequestId({ headerName: "", generator: (c) => acceptedRequestId(c.req.header("x-request-id")) });

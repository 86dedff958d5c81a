// Per-route stage: the body the route takes, by its policy, before anything reads it. Code routes
// take JSON up to ADMIN_BODY_LIMIT_BYTES (zod validates it after the stages); route-table routes
// take their configured media types, read up to their limit by the forwarding handler.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { Problem } from "../../core/problem.ts";
import type { AppEnv } from "../context.ts";
import { ADMIN_BODY_LIMIT_BYTES } from "../route.ts";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Whether a request carries a body, by its headers, and the body's media type (lowercase, bare). */
export function requestBody(headers: Headers): { present: boolean; type: string } {
  const type = headers.get("content-type");
  const present = type !== null || (headers.get("content-length") ?? "0") !== "0" || headers.has("transfer-encoding");
  return { present, type: (type ?? "").split(";")[0]!.trim().toLowerCase() };
}

const limitJson = bodyLimit({
  maxSize: ADMIN_BODY_LIMIT_BYTES,
  onError: () => {
    throw new Problem("payload-too-large", { detail: `Request bodies are limited to ${ADMIN_BODY_LIMIT_BYTES} bytes.` });
  },
}) as MiddlewareHandler<AppEnv>;

export const checkBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const policy = c.var.route.body;
  if (policy.kind === "none") return next();
  const body = requestBody(c.req.raw.headers);
  if (policy.kind === "json") {
    // An optional body may be absent; one that is there must be JSON.
    if ((body.present || policy.required) && !JSON_TYPE.test(body.type)) {
      throw new Problem("unsupported-media-type", { detail: "Send the request body as application/json." });
    }
    return limitJson(c, next);
  }
  if (body.present && !policy.contentTypes.includes(body.type)) {
    throw new Problem("unsupported-media-type", { detail: `This route accepts ${policy.contentTypes.join(", ")}.` });
  }
  await next();
};

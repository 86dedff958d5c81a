// Per-route stage: the body the route takes, by its policy, before anything reads it. Code routes
// take JSON up to their limit (ADMIN_BODY_LIMIT_BYTES unless they say), no member given twice (zod validates it after the
// stages); route-table routes take their configured media types, read up to their limit by the
// forwarding handler.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { scanJson } from "../../core/json-duplicates.ts";
import { Problem, validationFailed } from "../../core/problem.ts";
import type { AppEnv } from "../context.ts";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Whether a request carries a body, by its headers, and the body's media type (lowercase, bare). */
export function requestBody(headers: Headers): { present: boolean; type: string } {
  const type = headers.get("content-type");
  const present = type !== null || (headers.get("content-length") ?? "0") !== "0" || headers.has("transfer-encoding");
  return { present, type: (type ?? "").split(";")[0]!.trim().toLowerCase() };
}

const limiters = new Map<number, MiddlewareHandler<AppEnv>>();

/** Hono's body limit at this size (one per size a route declares: a handful). */
function limitJson(maxSize: number): MiddlewareHandler<AppEnv> {
  let limit = limiters.get(maxSize);
  if (!limit) {
    limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new Problem("payload-too-large", { detail: `Request bodies are limited to ${maxSize} bytes.` });
      },
    }) as MiddlewareHandler<AppEnv>;
    limiters.set(maxSize, limit);
  }
  return limit;
}

/**
 * JSON.parse keeps the last of two members with the same name: `"permissionSet": "read_only"` then
 * `"full_access"` would be read as full access while a reader of the text may see read-only. So a
 * body that gives a member twice, at any depth, is refused. Hono caches the text read here; the
 * validator parses that same text. Invalid JSON is left for the validator to refuse.
 */
export function refuseDuplicateMembers(text: string): void {
  const scan = scanJson(text);
  if (scan.valid && scan.duplicate) {
    throw validationFailed([{ path: scan.duplicate, message: "given more than once; send each member once" }]);
  }
}

export const checkBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const policy = c.get("route").body;
  if (policy.kind === "none") return next();
  const body = requestBody(c.req.raw.headers);
  if (policy.kind === "json") {
    // An optional body may be absent; one that is there must be JSON.
    if ((body.present || policy.required) && !JSON_TYPE.test(body.type)) {
      throw new Problem("unsupported-media-type", { detail: "Send the request body as application/json." });
    }
    if (!JSON_TYPE.test(body.type)) return limitJson(policy.maxBytes)(c, next);
    return limitJson(policy.maxBytes)(c, async () => {
      refuseDuplicateMembers(await c.req.text());
      await next();
    });
  }
  // workerd hands a GET's body to the Worker, but no Request with GET or HEAD may carry one
  // onward: refused here, before anything tries to forward it.
  if (c.req.raw.body !== null && (c.req.method === "GET" || c.req.method === "HEAD")) {
    throw new Problem("bad-request", { detail: `A ${c.req.method} request carries no body; send it with POST or PUT.` });
  }
  if (body.present && !policy.contentTypes.includes(body.type)) {
    throw new Problem("unsupported-media-type", { detail: `This route accepts ${policy.contentTypes.join(", ")}.` });
  }
  return next();
};

// Forwarding one admitted request to its origin: the client's headers minus credentials and
// anything identity-shaped, keygate's identity headers, an RFC 9530 digest of the body and an
// RFC 9421 Ed25519 signature over all of it. The origin's response streams back unchanged.
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { headerList } from "../http/header-list.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import { dropUnpassableResponseHeaders, forwardableHeaders } from "./headers.ts";
import { callWorkerOrigin } from "./rpc.ts";
import { contentDigest, loadSigning, RESOURCE_HEADER, signedComponents, signRequest } from "./signing.ts";

/** A signature is good for this long: the origin's replay window. */
export const SIGNATURE_TTL_S = 60;

type Target = { url: URL; send: (req: Request) => Promise<Response> };

function target(env: Env, route: ProxyRoute, path: string, search: string): Target {
  const vars = env as unknown as Record<string, unknown>;
  if (route.service) {
    const binding = vars[route.service] as Fetcher | undefined;
    if (!binding || typeof binding.fetch !== "function") throw misconfigured(route, `service binding ${route.service} is missing`);
    return { url: new URL(path + search, `https://${route.service.toLowerCase()}.internal`), send: (req) => binding.fetch(req) };
  }
  const base = originBase(vars[route.origin!]);
  if (base === null) throw misconfigured(route, `${route.origin} is not a URL`);
  // One parse per request: the base was checked and cut to size once (originBase). Text after
  // it is read as its path only when it starts with "/" (a parsed URL's pathname always does).
  if (!path.startsWith("/")) throw new Error(`a forwarded path must start with "/": ${path}`);
  return { url: new URL(base + path + search), send: (req) => fetch(req) };
}

/** Origin URLs (a var's value), each parsed once: the part the forwarded path and query follow. */
const originBases = new Map<string, string | null>();

/** `https://api.internal/base/` → `https://api.internal/base`: its query and fragment dropped. */
function originBase(value: unknown): string | null {
  if (typeof value !== "string") return null;
  let base = originBases.get(value);
  if (base === undefined) {
    const url = URL.parse(value);
    if (url) {
      url.search = "";
      url.hash = "";
    }
    base = url ? url.href.replace(/\/$/, "") : null;
    originBases.set(value, base);
  }
  return base;
}

function misconfigured(route: ProxyRoute, why: string): Problem {
  log("error", "proxy.misconfigured", { route: route.name, why });
  return new Problem("origin-unreachable", { detail: "The origin for this route is not configured.", extensions: { gateway: true } });
}

export type ForwardOptions = { body: ArrayBuffer | null; jobId?: string; path?: string; method?: string; search?: string };

/** A request for the origin, signed: its URL, its headers (signature included) and how to send it. */
export type SignedCall = Target & { method: string; headers: Headers };

/** The client's request as the origin gets it: credentials out, keygate's identity in, signed. */
export async function signedCall(c: Context<AppEnv>, route: ProxyRoute, opts: ForwardOptions): Promise<SignedCall> {
  const { key } = c.get("principal");
  const requestId = c.get("requestId");
  const incoming = c.get("url");
  const { url, send } = target(c.env, route, opts.path ?? incoming.pathname, opts.search ?? (opts.path ? "" : incoming.search));

  const headers = forwardableHeaders(headerList(c));
  headers.set("x-request-id", requestId);
  headers.set("x-keygate-key-id", key.keyId);
  headers.set("x-keygate-tenant-id", key.tenantId);
  headers.set("x-keygate-scopes", key.scopes.join(" "));
  headers.set("x-keygate-environment", key.environment);
  if (opts.jobId) headers.set("x-keygate-job-id", opts.jobId);
  // Set by the route match only for a valid id; a client's own X-Keygate-Resource was dropped above.
  const resource = c.get("resource");
  if (resource) headers.set(RESOURCE_HEADER, `${resource.type}=${resource.id}`);
  if (opts.body) headers.set("content-digest", await contentDigest(opts.body));

  let signing;
  try {
    signing = await loadSigning(c.env);
  } catch (err) {
    log("error", "proxy.signing_unavailable", { error: String(err) });
    throw new Problem("signing-unavailable", { detail: "The gateway cannot sign requests right now; retry shortly.", headers: { "Retry-After": "5" } });
  }
  const method = opts.method ?? c.req.method;
  const created = Math.floor(Date.now() / 1000);
  const signature = await signRequest({ method, url, headers }, signing.active, {
    created,
    expires: created + SIGNATURE_TTL_S,
    nonce: crypto.randomUUID(),
    components: signedComponents(opts.body !== null, opts.jobId !== undefined, resource !== undefined),
  });
  headers.set("signature-input", signature["Signature-Input"]);
  headers.set("signature", signature.Signature);
  return { url, send, method, headers };
}

export async function forwardToOrigin(c: Context<AppEnv>, route: ProxyRoute, opts: ForwardOptions): Promise<Response> {
  // A Worker origin over RPC (a job's body was read already: its idempotency hashed it).
  if (route.rpc) return callWorkerOrigin(c, route, opts);
  const { url, send, method, headers } = await signedCall(c, route, opts);
  const requestId = c.get("requestId");
  let response: Response;
  // timeoutMs bounds the wait for the origin's answer (its status and headers), not a long body
  // streaming back: the timer ends as soon as the answer starts, rather than outliving it.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${route.timeoutMs} ms`, "TimeoutError")), route.timeoutMs);
  try {
    response = await send(new Request(url, { method, headers, body: opts.body, signal: abort.signal, redirect: "manual" }));
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    log("warn", timedOut ? "proxy.origin_timeout" : "proxy.origin_unreachable", { route: route.name, requestId, error: String(err) });
    throw timedOut
      ? new Problem("origin-timeout", { detail: `The origin did not answer within ${route.timeoutMs} ms.`, extensions: { gateway: true } })
      : new Problem("origin-unreachable", { detail: "The origin could not be reached.", extensions: { gateway: true } });
  } finally {
    clearTimeout(timer);
  }
  // Passed through unchanged (any status); keygate adds only its own fields afterwards (the
  // pipeline sets X-Request-Id on every response, over any the origin sent). fetch's headers
  // cannot change: the runtime copies them with the status in one go, then the unpassable go.
  const out = new Response(response.body, response);
  dropUnpassableResponseHeaders(out.headers);
  return out;
}

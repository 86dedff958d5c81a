// Forwarding to a Worker origin over RPC (a route with `service` and `rpc`): keygate calls the
// named method of the entrypoint its service binding points at, with the client's request and a
// typed caller (origin/rpc.ts). Only Workers of the same account can hold a binding to that
// entrypoint, so nothing is signed or digested and the body streams through unbuffered; the
// client's credentials and identity-shaped headers are removed all the same.
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { headerList } from "../http/header-list.ts";
import { deadline, Late } from "../core/deadline.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import type { KeygateCaller } from "../../origin/rpc.ts";
import { tooLarge } from "./body-limit.ts";
import { dropUnpassableResponseHeaders, forwardableHeaders } from "./headers.ts";

/**
 * The caller as the origin gets it: the same facts the signed headers carry on the HTTP path. The
 * type is the origin helper's own (origin/rpc.ts, which origins copy), so the two cannot drift.
 */
export type RpcCaller = KeygateCaller;

/** A service binding's stub: every name is a method of the entrypoint (a missing one rejects when called). */
type RpcStub = Record<string, ((request: Request, caller: RpcCaller) => Promise<unknown>) | undefined>;

export type RpcOptions = {
  /** Streamed (a table route) or already read (a job route, whose idempotency hashed it). */
  body: ReadableStream<Uint8Array> | ArrayBuffer | null;
  jobId?: string;
  path?: string;
  method?: string;
};

export async function callWorkerOrigin(c: Context<AppEnv>, route: ProxyRoute, opts: RpcOptions, exceeded: () => boolean = () => false): Promise<Response> {
  const binding = (c.env as unknown as Record<string, RpcStub | undefined>)[route.service!];
  if (typeof binding?.[route.rpc!] !== "function") {
    log("error", "proxy.misconfigured", { route: route.name, why: `service binding ${route.service} is missing` });
    throw new Problem("origin-unreachable", { detail: "The origin for this route is not configured.", extensions: { gateway: true } });
  }
  const { key } = c.get("principal");
  const incoming = c.get("url");
  const path = opts.path ?? incoming.pathname;
  const url = `https://${route.service!.toLowerCase()}.internal${path}${opts.path ? "" : incoming.search}`;
  const request = new Request(url, { method: opts.method ?? c.req.method, headers: forwardableHeaders(headerList(c)), body: opts.body });
  const resource = c.get("resource");
  const caller: RpcCaller = {
    keyId: key.keyId,
    tenantId: key.tenantId,
    scopes: key.scopes,
    environment: key.environment,
    requestId: c.get("requestId"),
    route: route.name,
    ...(opts.jobId ? { jobId: opts.jobId } : {}),
    ...(resource ? { resource: { type: resource.type, id: resource.id } } : {}),
  };

  let answer: unknown;
  const call = binding[route.rpc!]!(request, caller);
  try {
    answer = await deadline(call, route.timeoutMs, `${route.rpc}()`);
  } catch (err) {
    if (exceeded()) throw tooLarge(route.maxBodyBytes);
    if (err instanceof Late) {
      // A late answer is not wanted: its body is cancelled rather than left open until the request ends.
      call.then((late) => (late instanceof Response ? late.body?.cancel() : undefined)).catch(() => undefined);
      log("warn", "proxy.origin_timeout", { route: route.name, requestId: caller.requestId });
      throw new Problem("origin-timeout", { detail: `The origin did not answer within ${route.timeoutMs} ms.`, extensions: { gateway: true } });
    }
    log("warn", "proxy.rpc_failed", { route: route.name, requestId: caller.requestId, error: String(err) });
    throw new Problem("origin-unreachable", { detail: `The origin's ${route.rpc}() failed.`, extensions: { gateway: true } });
  }
  // The origin may have caught the cut-off stream and answered anyway: the client sent too much.
  if (exceeded()) {
    if (answer instanceof Response) await answer.body?.cancel();
    throw tooLarge(route.maxBodyBytes);
  }
  if (!(answer instanceof Response)) {
    log("error", "proxy.rpc_failed", { route: route.name, requestId: caller.requestId, error: `${route.rpc}() returned ${typeof answer}, not a Response` });
    throw new Problem("origin-unreachable", { detail: `The origin's ${route.rpc}() did not answer with a Response.`, extensions: { gateway: true } });
  }
  // As on the HTTP path: any status passes, minus what would let the origin speak for the gateway.
  // A Response that came over RPC is this isolate's own, its headers changeable: no copy needed.
  dropUnpassableResponseHeaders(answer.headers);
  return answer;
}

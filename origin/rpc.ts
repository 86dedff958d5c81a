// keygate's RPC path, the origin side: for an origin that is a Worker on the same Cloudflare account
// as the gateway. keygate calls a method of your entrypoint through a service binding with the
// client's request (credentials removed, body streaming) and who it admitted the request for.
// Only Workers of your account with a binding to this entrypoint can call it, so there is no
// signature to verify and no body to buffer: see origin/README.md "Worker origins over RPC".
//
//   import { KeygateEntrypoint, type KeygateCaller } from "./rpc.ts";
//   export class Api extends KeygateEntrypoint<Env> {
//     async handle(request: Request, caller: KeygateCaller): Promise<Response> { ... }
//   }
//
// Self-contained on purpose, like verify.ts: copy this one file into your Worker.
import { WorkerEntrypoint } from "cloudflare:workers";

/**
 * Who keygate admitted the request for: the same facts its signed headers carry on the HTTP path
 * (X-Keygate-Key-Id, -Tenant-Id, -Scopes, -Environment, -Job-Id, -Resource, X-Request-Id).
 */
export type KeygateCaller = {
  keyId: string;
  tenantId: string;
  scopes: string[];
  /** "live" or "test": the key's environment. */
  environment: string;
  /**
   * keygate's request id, also on the client's answer as X-Request-Id: quote it in your logs. It is
   * the client's own X-Request-Id when it sent a valid one, so never deduplicate or authorize on it.
   */
  requestId: string;
  /** The route-table entry's name the request matched (e.g. "query"). */
  route: string;
  /** On ingest routes: the job keygate created for this request. */
  jobId?: string;
  /** On routes that name a resource (`agent=a_1` → `{ type: "agent", id: "a_1" }`): keygate checked the key may use it. */
  resource?: { type: string; id: string };
};

/**
 * What keygate calls. The request's URL is `https://<binding, lowercase>.internal<path>?<query>`,
 * its headers the client's minus credentials and anything identity-shaped; read the body as you
 * would any Request's (it streams from the client, up to the route's maxBodyBytes). Your answer
 * goes back to the client as it is, keygate adding only its own fields (X-Request-Id, RateLimit).
 */
export abstract class KeygateEntrypoint<Env = unknown> extends WorkerEntrypoint<Env> {
  abstract handle(request: Request, caller: KeygateCaller): Promise<Response>;
}

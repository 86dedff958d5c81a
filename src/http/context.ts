import type { Problem } from "../core/problem.ts";
import type { Stores } from "../db/client.ts";
import type { ResourceRef } from "../keys/access-rules.ts";
import type { KeySnapshot } from "../keys/snapshot.ts";
import type { Principal } from "../keys/verify.ts";
import type { RoutePolicy } from "./route.ts";

/** Header fields as Headers iterates them: lowercase names, repeated values joined. */
export type HeaderList = readonly (readonly [string, string])[];

/** What the pipeline's stages hand to each other through Hono's context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The request URL, parsed once by the first stage (accessLog) for every later one. */
    url: URL;
    /** The request's header fields, read out of the runtime once (http/header-list.ts). */
    headerList?: HeaderList;
    stores: Stores;
    /** Run after the response; every deferred promise is awaited before the access log line. */
    defer: (promise: Promise<unknown>) => void;
    principal: Principal;
    /** Set when the credential was a console session cookie: its CSRF token and end. */
    session?: { csrf: string; expiresAt: number };
    /** A person Access let in whom keygate refuses (not an operator, tenant inactive): the console says so as a page. */
    personRefused?: Problem;
    /** The matched route's policy (scope, cost, body), declared with the route; read by the per-route stages. */
    route: RoutePolicy;
    /** Set by the admission stage when it ran: the request was limited there. */
    admitted?: boolean;
    /** The MCP tool this request is a call of (set by the table match for the in-process call, mcp/call-tool.ts). */
    tool?: string;
    /** The resource the matched route names in this request's path (`resource` in the route table). */
    resource?: ResourceRef;
    /** Tokens the request spent (admission or charge-unadmitted); read by the outcome stage. */
    charged?: number;
    /** The key a refusal of authentication was about, when it was a real key (revoked, expired, …). */
    refusedKey?: KeySnapshot;
  };
};

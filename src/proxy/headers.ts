// What may cross between a client and an origin. Everything that could carry a credential, claim
// an identity or redirect the origin's own routing is removed, whatever its letter case (or `_` for
// `-`) and however often it was sent (Headers yields every name lowercased, repeated values joined);
// keygate then sets its own, signed. On the way back, what would let an origin speak for the
// gateway (CORS, cookies on the gateway's domain) is removed the same way.
import { CREDENTIAL_HEADERS } from "../keys/credential.ts";

/** Headers keygate itself sets (or signs) on the way to the origin. */
const OURS = ["signature", "signature-input", "content-digest", "x-request-id"];
/** Where a client could claim an address, a scheme or a host, or rewrite the origin's routing. */
const ROUTING = [
  "forwarded",
  "via",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "client-ip",
  "x-cluster-client-ip",
  "x-original-url",
  "x-rewrite-url",
  "x-original-method",
  "x-http-method",
  "x-http-method-override",
  "x-method-override",
];
const DROPPED_PREFIXES = ["x-keygate-", "x-forwarded-", "cf-"];
/** RFC 9110 §7.6.1 hop-by-hop fields, plus the de-facto ones. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];
/** Set by fetch itself for the new request. */
const FRAMING = ["host", "content-length"];

/** Every exact name dropped on the way in: one Set lookup per header on every forwarded request. */
const DROPPED = new Set([...CREDENTIAL_HEADERS, ...OURS, ...ROUTING, ...HOP_BY_HOP, ...FRAMING]);

/**
 * CGI, WSGI and the servers built on them read a header name with `_` and `-` alike (both become
 * HTTP_X_KEYGATE_KEY_ID), so `X_Keygate_Key_Id` would stand in for keygate's own header there:
 * every name is compared with its `_` read as `-`.
 */
const asDashed = (name: string) => (name.includes("_") ? name.replaceAll("_", "-") : name);

/** The prefixes as one test (they are plain lowercase names, nothing to escape). */
const DROPPED_PREFIX = new RegExp(`^(?:${DROPPED_PREFIXES.join("|")})`);

function dropped(name: string): boolean {
  const dashed = asDashed(name);
  return DROPPED.has(dashed) || DROPPED_PREFIX.test(dashed);
}

/**
 * The names a Connection header lists are hop-by-hop too (RFC 9110 §7.6.1). Only where the Worker
 * sees that header (local workerd, tests): on Cloudflare the runtime consumes it first, so there a
 * name listed in it arrives as an ordinary header (README "Forwarding to origins").
 */
function connectionNamed(connection: string | null | undefined): string[] {
  if (connection == null) return [];
  return connection
    .split(",")
    .map((s) => asDashed(s.trim().toLowerCase()))
    .filter(Boolean);
}

/** The client's headers (a Headers, or its fields as a list: http/header-list.ts) minus everything dropped above. */
export function forwardableHeaders(incoming: Iterable<readonly [string, string]>): Headers {
  const fields = Array.isArray(incoming) ? (incoming as readonly (readonly [string, string])[]) : [...incoming];
  const named = connectionNamed(fields.find(([name]) => name === "connection")?.[1]);
  const out = new Headers();
  // Headers iterates lowercase names, repeated ones joined (set-cookie aside, never sent by clients).
  for (const [name, value] of fields) {
    if (!dropped(name) && !named.includes(asDashed(name))) out.append(name, value);
  }
  return out;
}

/** X-Powered-By tells a client what runs behind the gateway, and nothing it needs. */
const DROPPED_FROM_RESPONSE = new Set([...HOP_BY_HOP, "set-cookie", "x-powered-by"]);

const droppedFromResponse = (name: string, named: string[]) => DROPPED_FROM_RESPONSE.has(name) || named.includes(asDashed(name)) || name.startsWith("access-control-");

/**
 * An origin's response headers minus hop-by-hop ones, CORS (keygate's own allowlist decides),
 * cookies and X-Powered-By, removed in place from a Response this isolate made or received over RPC.
 */
export function dropUnpassableResponseHeaders(headers: Headers): void {
  const named = connectionNamed(headers.get("connection"));
  const unpassable: string[] = [];
  for (const name of headers.keys()) if (droppedFromResponse(name, named)) unpassable.push(name);
  for (const name of unpassable) headers.delete(name);
}

// What may cross from a client to an origin. Everything that could carry a credential or claim an
// identity is removed, whatever its letter case and however often it was sent (Headers is
// case-insensitive and delete() removes every value); keygate then sets its own, signed.
const CREDENTIALS = ["authorization", "x-api-key", "proxy-authorization", "cookie"];
/** Headers keygate itself sets (or signs) on the way to the origin. */
const OURS = ["signature", "signature-input", "content-digest", "x-request-id"];
const IDENTITY_PREFIX = "x-keygate-";
/** Forwarding headers: the origin learns the client's address from keygate or not at all. */
const FORWARDING = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip", "true-client-ip"];
const PLATFORM_PREFIX = "cf-";
/** RFC 9110 §7.6.1 hop-by-hop fields, plus the de-facto ones. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"];

function dropped(name: string): boolean {
  return (
    CREDENTIALS.includes(name) ||
    OURS.includes(name) ||
    FORWARDING.includes(name) ||
    HOP_BY_HOP.includes(name) ||
    name.startsWith(IDENTITY_PREFIX) ||
    name.startsWith(PLATFORM_PREFIX)
  );
}

/** The client's headers minus anything dropped above and anything its Connection header names. */
export function forwardableHeaders(incoming: Headers): Headers {
  const named = (incoming.get("connection") ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out = new Headers();
  for (const [name, value] of incoming) {
    const lower = name.toLowerCase();
    if (!dropped(lower) && !named.includes(lower)) out.append(lower, value);
  }
  return out;
}

/** An origin's response headers, minus hop-by-hop ones, ready to be passed on. */
export function passableResponseHeaders(incoming: Headers): Headers {
  const out = new Headers(incoming);
  for (const name of ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]) out.delete(name);
  return out;
}

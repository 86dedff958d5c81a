// Where a client may put its key: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Nowhere
// else: a key in a URL ends up in proxy logs, browser history and Referer headers.
import { decodeFully, escapedCharacters } from "../core/percent.ts";
import { containsKeyLike } from "../core/redact.ts";
import { Problem } from "../core/problem.ts";

const BEARER = /^Bearer +([^\s,]+) *$/i;
const QUERY_KEY_NAMES = new Set(["api_key", "apikey", "api-key", "x-api-key", "access_token"]);

const TWO_CREDENTIALS = "Send exactly one API key, in either Authorization or X-API-Key.";

/** Returns the presented key, null when there is none, or throws for an ambiguous request. */
export function extractCredential(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  const apiKeyHeader = headers.get("x-api-key");

  let bearer: string | null = null;
  if (authorization !== null) {
    // Repeated headers arrive joined by ", ": a second credential, not a longer one.
    if (authorization.includes(",")) throw new Problem("invalid-request", { detail: TWO_CREDENTIALS });
    const m = BEARER.exec(authorization.trim());
    if (!m) {
      throw new Problem("missing-credential", {
        detail: "Use the Bearer scheme: Authorization: Bearer <key>, or the X-API-Key header.",
      });
    }
    bearer = m[1]!;
  }

  let headerKey: string | null = null;
  if (apiKeyHeader !== null) {
    if (apiKeyHeader.includes(",")) throw new Problem("invalid-request", { detail: TWO_CREDENTIALS });
    headerKey = apiKeyHeader.trim();
    if (headerKey === "") headerKey = null;
  }

  // RFC 6750 §2: one method per request. The same key twice is still two methods, and accepting it
  // would make the rule depend on comparing secrets.
  if (bearer !== null && headerKey !== null) {
    throw new Problem("invalid-request", { detail: TWO_CREDENTIALS });
  }
  return bearer ?? headerKey;
}

/** Where extractCredential looks, and the other credential headers (a console session's CSRF token too): none is ever forwarded. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "x-api-key", "proxy-authorization", "cookie", "x-csrf-token"]);

/** Whether text holds a key as sent or once decoded: an encoded key is logged and replayed just the same. */
function holdsKey(text: string): boolean {
  // Most values have no escape at all: one scan, not two (this runs on every header of every request).
  return containsKeyLike(text) || (text.includes("%") && containsKeyLike(decodeFully(text)));
}

/**
 * A key in any other header (a custom one, X-Request-Id, a Referer whose URL holds it) would be
 * forwarded to the origin and kept in its logs. Refused like a key in the URL: RFC 6750's
 * invalid_request covers "more than one method for including an access token".
 */
export function rejectKeyInOtherHeaders(headers: Iterable<readonly [string, string]>): void {
  for (const [name, value] of headers) {
    if (!CREDENTIAL_HEADERS.has(name) && holdsKey(value)) {
      throw new Problem("invalid-request", {
        detail:
          "API keys may be sent only in Authorization: Bearer (or X-API-Key), not in other headers, where origins and proxies log them. Consider this key exposed.",
      });
    }
  }
}

/**
 * A key-shaped string anywhere in the URL, or a query parameter named like a credential. Each path
 * segment and each query name and value is decoded on its own, so an escape that does not decode
 * in one part cannot hide a key in another.
 */
export function rejectCredentialInUrl(url: URL): void {
  // Every request passes here: a path without escapes is one part (decoding cannot change it, and
  // no key spans a "/"), and a URL without a query parses none.
  const parts = url.pathname.includes("%") ? url.pathname.split("/") : [url.pathname];
  if (url.hash) parts.push(url.hash);
  let found = false;
  if (url.search !== "") {
    parts.push(url.search);
    for (const [name, value] of url.searchParams) {
      parts.push(name, value);
      if (QUERY_KEY_NAMES.has(decodeFully(name).toLowerCase())) found = true;
    }
  }
  if (found || parts.some(holdsKey)) {
    throw new Problem("invalid-request", {
      detail:
        "API keys must not be sent in the URL, where logs and proxies keep them. Send it in the Authorization: Bearer header (or X-API-Key) and consider this key exposed.",
    });
  }
}

/**
 * Paths are forwarded and signed as the URL parser gives them, so a path that another layer could
 * read differently is refused: encoded slashes, backslashes, dots or percent signs, NUL, and `;`
 * (servlet containers drop `;…` from a segment, so `/v1/ingest/..;/query` is /v1/query to them).
 * What keygate matches a route on is then what the origin routes on.
 */
const AMBIGUOUS_PATH = /%(2f|5c|2e|25|00|3b)|[\\;]/i;
/** What a decoder that folds compatibility forms (NFKC) or accepts overlong UTF-8 could turn into path syntax. */
const PATH_SYNTAX = /[./\\%;?#\0]/;

export function rejectAmbiguousPath(url: URL): void {
  // An empty segment ("//") is one more spelling: servers that merge slashes (nginx by default)
  // read /v1/agents//a_2 as /v1/agents/a_2, which keygate would have matched to another route.
  if (url.pathname.includes("//")) {
    throw new Problem("bad-request", { detail: "The path has an empty segment (`//`); send it without." });
  }
  if (AMBIGUOUS_PATH.test(url.pathname) || spellsPathSyntax(url.pathname)) {
    throw new Problem("bad-request", {
      detail:
        "The path has encoded slashes, backslashes, dots or percent signs, a `;`, or another spelling of one (overlong or fullwidth UTF-8); send it in plain form.",
    });
  }
}

/** Overlong UTF-8 (`%C0%AE`), or a character whose compatibility form holds path syntax (`%EF%BC%8E`, "．"). */
function spellsPathSyntax(path: string): boolean {
  return escapedCharacters(path).some(
    ({ codePoint, overlong }) => overlong || (codePoint >= 0x80 && PATH_SYNTAX.test(String.fromCodePoint(codePoint).normalize("NFKC"))),
  );
}

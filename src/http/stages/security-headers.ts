// Stage: security headers on every response, errors included: the set an API needs (OWASP REST
// cheat sheet). Headers that only matter to a page a browser renders are added on the pages and
// the files they load (/docs, /console, /assets/*) alone, since each is one more header write on
// every forwarded response.
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../context.ts";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;

/**
 * The API set, Hono's secureHeaders() values for these five, set from one list: Hono's middleware
 * rebuilds its list and deletes X-Powered-By on every response, which an origin's answer loses
 * anyway (proxy/headers.ts) and keygate never sets.
 */
const API: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
];
const PAGE: SecureHeadersOptions = {
  // Scripts, styles, fonts and requests from this gateway only: no inline script or style, no
  // eval, nothing from a CDN. The docs renderer (Scalar) and uPlot work under it: Scalar's
  // stylesheet is loaded as a file, and its own attempts to inject the same CSS as <style>, and a
  // feature test for eval, are refused harmlessly (reported in the browser console).
  // Forms post back to the gateway (the console's sign-in); nothing may frame a page.
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  },
  crossOriginOpenerPolicy: true,
  originAgentCluster: true,
  // The rest are the API set above.
  crossOriginResourcePolicy: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xFrameOptions: false,
};

const pageHeaders = secureHeaders(PAGE);

/** Paths that serve a page, or a file a page loads, rather than an API answer. */
export function isPagePath(path: string): boolean {
  return path === "/docs" || path.startsWith("/assets/") || path === "/console" || path.startsWith("/console/");
}

// A page may show what a signed-in operator may see: no cache, shared or private, keeps a copy.
// The files are small and local; always fresh means a deploy never mixes old and new.
const page: MiddlewareHandler<AppEnv> = async (c, next) => {
  await pageHeaders(c, next);
  c.res.headers.set("Cache-Control", "no-store");
};

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await (isPagePath(c.req.path) ? page(c, next) : next());
  const headers = c.res.headers;
  for (const [name, value] of API) headers.set(name, value);
};

// Stage: security headers on every response, errors included: the set an API needs (OWASP REST
// cheat sheet). Headers that only matter to a page a browser renders are added on /docs alone,
// since each is one more header write on every forwarded response.
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../context.ts";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;

const API: SecureHeadersOptions = {
  crossOriginResourcePolicy: "same-origin",
  xFrameOptions: "DENY",
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};
const DOCUMENT: SecureHeadersOptions = {
  // The page is static HTML with one inline <style>: nothing else may load, frame it or submit.
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  crossOriginOpenerPolicy: true,
  originAgentCluster: true,
  // The rest were set by the API set above.
  crossOriginResourcePolicy: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xFrameOptions: false,
};

const apiHeaders = secureHeaders(API);
const documentHeaders = secureHeaders(DOCUMENT);

/** Paths that serve a page rather than an API answer. */
const DOCUMENT_PATHS = new Set(["/docs"]);

export const securityHeaders: MiddlewareHandler<AppEnv> = (c, next) =>
  apiHeaders(c, DOCUMENT_PATHS.has(c.req.path) ? async () => void (await documentHeaders(c, next)) : next);

// Stage: a key anywhere in the URL is refused before anything else reads or logs it; so is a path
// that an origin could read differently from keygate (encoded slashes, backslashes, dots).
import type { MiddlewareHandler } from "hono";
import { rejectAmbiguousPath, rejectCredentialInUrl } from "../../keys/credential.ts";
import type { AppEnv } from "../context.ts";

export const urlHygiene: MiddlewareHandler<AppEnv> = (c, next) => {
  const url = c.get("url");
  rejectCredentialInUrl(url);
  rejectAmbiguousPath(url);
  return next();
};

// Stage: the person behind a console page, signed in through Cloudflare Access or with a console
// session (http/person.ts). Nobody signed in is not refused here: the console sends them to its
// sign-in page. A session whose key was since revoked, disabled or expired, or whose tenant was
// deactivated, counts as signed out, so its holder can still sign out or sign in with another key.
import type { MiddlewareHandler } from "hono";
import { Problem } from "../../core/problem.ts";
import type { AppEnv } from "../context.ts";
import { accessAssertion, accessPrincipal } from "../person.ts";
import { sessionPrincipal } from "../sessions.ts";

export const consolePerson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const access = accessAssertion(c);
  if (access !== null) {
    try {
      c.set("principal", await accessPrincipal(c, access));
    } catch (err) {
      // A genuine person keygate refuses (not an operator, an inactive tenant) gets a page saying
      // so; a bad token or an Access outage stands as the API's problem.
      if (!(err instanceof Problem) || err.status !== 403) throw err;
      c.set("personRefused", err);
    }
    return next();
  }
  let session;
  try {
    session = await sessionPrincipal(c);
  } catch (err) {
    if (!(err instanceof Problem) || err.status >= 500) throw err;
    session = null;
  }
  if (session) {
    c.set("principal", session.principal);
    c.set("session", session.session);
  }
  await next();
};

// Stage: the person behind a console page, signed in through Cloudflare Access or with a console
// session (http/person.ts). Nobody signed in is not refused here: the console sends them to its
// sign-in page. A session whose key was revoked since counts as signed out.
import type { MiddlewareHandler } from "hono";
import { Problem } from "../../core/problem.ts";
import type { AppEnv } from "../context.ts";
import { resolvePerson } from "../person.ts";

export const consolePerson: MiddlewareHandler<AppEnv> = async (c, next) => {
  let person;
  try {
    person = await resolvePerson(c);
  } catch (err) {
    // Access problems (a bad token, not an operator) stand; a dead session's key just signs out.
    if (!(err instanceof Problem) || err.status !== 401 || err.kind === "invalid-access-token") throw err;
    person = null;
  }
  if (person) {
    c.set("principal", person.principal);
    if (person.session) c.set("session", person.session);
  }
  await next();
};

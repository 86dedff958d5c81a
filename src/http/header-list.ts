// The request's header fields as a list, read once. Authentication refuses a key in any of them
// and the forwarder copies the ones that may cross; each pass over a Headers object is a trip into
// the runtime per field, so they share one.
import type { Context } from "hono";
import type { AppEnv, HeaderList } from "./context.ts";

export function headerList(c: Context<AppEnv>): HeaderList {
  let list = c.get("headerList");
  if (!list) c.set("headerList", (list = [...c.req.raw.headers]));
  return list;
}

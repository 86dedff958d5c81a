// GET/HEAD /assets/*: the files under public/assets (the pages' own scripts and the libraries
// copied from node_modules), served by the Worker from its ASSETS binding. wrangler.toml runs the
// Worker first for every path, so a file passes the request stages like any answer and gets the
// page headers (CSP, Cache-Control: no-store) from the security-headers stage. No key needed.
import { Problem } from "../core/problem.ts";
import { defineRoute, endpoint, type Endpoint } from "../http/route.ts";

const asset = defineRoute("public", {
  operationId: "asset",
  method: "get",
  // The rest of the path, slashes included, is the file's path under public/assets.
  path: "/assets/*",
  // Files, not API: left out of the API description.
  hide: true,
  responses: { 200: { description: "The file, with its content type" } },
});

export const assetRoutes: Endpoint[] = [
  endpoint(asset, async (c) => {
    const url = new URL(c.req.url);
    // Only the path: the client's query, headers and conditions are not the binding's business.
    // The URL parser has already resolved any `..`, and url-hygiene refused encoded ones, so the
    // path cannot leave the assets directory (nor could the binding serve anything outside it).
    const file = await c.env.ASSETS.fetch(new Request(url.origin + url.pathname, { method: c.req.method === "HEAD" ? "HEAD" : "GET" }));
    if (file.status !== 200) {
      await file.body?.cancel();
      throw new Problem("not-found", { detail: "No such file." });
    }
    const headers = new Headers({ "Content-Type": file.headers.get("content-type") ?? "application/octet-stream" });
    const length = file.headers.get("content-length");
    if (length !== null) headers.set("Content-Length", length);
    return new Response(file.body, { status: 200, headers }) as never;
  }),
];

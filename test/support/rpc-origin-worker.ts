// A Worker origin reached over RPC (routes with `service = "RPC_ORIGIN"` and `rpc`), written with
// the origin-side helper as an origin's author would. vitest.config.ts bundles it and runs it in
// the same workerd as the tests, bound to the gateway by a service binding to this entrypoint.
// It answers with what it received; a few paths make it misbehave on purpose.
import { KeygateEntrypoint, type KeygateCaller } from "../../origin/rpc.ts";

export class TestRpcOrigin extends KeygateEntrypoint {
  async handle(request: Request, caller: KeygateCaller): Promise<Response> {
    const url = new URL(request.url);
    const last = url.pathname.split("/").pop();
    if (last === "slow") await new Promise((r) => setTimeout(r, 1_000));
    if (last === "throw") throw new Error("the origin's handler failed on purpose");
    if (url.pathname === "/v1/rpc-ingest" && !caller.jobId?.startsWith("job_")) return Response.json({ error: "no job id" }, { status: 400 });
    if (last === "not-a-response") return { status: 200 } as unknown as Response;
    if (last === "teapot") return Response.json({ short: "and stout" }, { status: 418, headers: { "set-cookie": "origin=1", "access-control-allow-origin": "*", "x-origin": "rpc", "keep-alive": "timeout=5", connection: "x-hop", "x-hop": "1" } });
    let body = "";
    let bodyError: string | null = null;
    try {
      body = await request.text();
    } catch (err) {
      // The gateway cut the stream off at the route's limit: an origin that swallows it still loses.
      bodyError = String(err);
      if (last === "lenient") return Response.json({ lenient: true, bodyError });
      throw err;
    }
    return Response.json(
      {
        origin: "rpc",
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers),
        body,
        caller,
      },
      { headers: { "x-origin": "rpc" } },
    );
  }

  /** Not a method any route names: a route naming `other` reaches it, one naming another name fails. */
  async other(): Promise<Response> {
    return new Response("other");
  }
}

export default {
  fetch(): Response {
    return new Response("the RPC test origin answers over RPC only", { status: 404 });
  },
};

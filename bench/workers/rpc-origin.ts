// The Worker origin of the RPC rows: keygate's route "rpc" (service RPC_ORIGIN, rpc "handle") calls
// BenchOrigin.handle() through a service binding to this entrypoint, and so does the bare
// pass-through over the same binding (rpc-passthrough.ts). Like bench/origin.mjs it reads the body
// and answers 200 with a small JSON body; it verifies nothing.
import { KeygateEntrypoint, type KeygateCaller } from "../../origin/rpc.ts";

const BODY = '{"ok":true,"rows":[[1]]}';

export class BenchOrigin extends KeygateEntrypoint {
  async handle(request: Request, _caller: KeygateCaller): Promise<Response> {
    await request.arrayBuffer();
    return new Response(BODY, { headers: { "content-type": "application/json" } });
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response(BODY, { headers: { "content-type": "application/json" } });
  },
};

// Row (a-rpc): the bare pass-through over the same service binding keygate's RPC route uses. It
// calls the origin's entrypoint method with the client's request as it came and a constant caller,
// and returns the answer: what any Worker in front of a Worker origin over RPC pays.
import type { KeygateCaller } from "../../origin/rpc.ts";

type Env = { RPC_ORIGIN: { handle(request: Request, caller: KeygateCaller): Promise<Response> } };

const CALLER: KeygateCaller = {
  keyId: "key_bench",
  tenantId: "ten_bench",
  scopes: ["query"],
  environment: "live",
  requestId: "req_bench",
  route: "rpc",
};

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.RPC_ORIGIN.handle(request, CALLER);
  },
};

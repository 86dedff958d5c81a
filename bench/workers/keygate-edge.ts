// keygate as an edge location far from the key's Durable Object: the same bundle, called with an
// env whose KEY_LIMITER namespace adds BENCH_DO_DELAY_MS of round-trip time to every call the
// isolate makes to a key's object (half before the call, half after, like a cross-colo hop). The
// object itself is the main bench Worker's (bound by scriptName), so the objects' own work is not
// delayed. Nothing in src/ changes.
//
// BENCH_LEASES="off" stands for a gateway without leases: every acquire asks for exactly the
// request's cost (want = cost), so the object grants no spare tokens, the isolate keeps no lease
// and every admitted request calls the object. Everything else is keygate's own code.
// @ts-ignore: the bundle is built into bench/.build by the harness and has no types.
import keygate from "./keygate/index.js";
import { useNativeOutbound } from "./outbound.ts";

type AnyEnv = Record<string, any>;

const sleep = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

function farNamespace(ns: AnyEnv, delayMs: number, leases: boolean): AnyEnv {
  const half = delayMs / 2;
  return {
    idFromName: (name: string) => ns.idFromName(name),
    idFromString: (id: string) => ns.idFromString(id),
    get: (id: unknown) => {
      const stub = ns.get(id);
      return new Proxy(stub, {
        get(target, prop) {
          if (prop === "then") return undefined;
          const value = Reflect.get(target, prop);
          if (typeof value !== "function") return value;
          return async (...args: unknown[]) => {
            if (!leases && prop === "acquire") {
              const req = args[0] as { cost: number; want: number };
              args = [{ ...req, want: req.cost }];
            }
            await sleep(half);
            const result = await Reflect.apply(value, target, args);
            await sleep(half);
            return result;
          };
        },
      });
    },
  };
}

let seenEnv: AnyEnv | null = null;
let edgeEnv: AnyEnv | null = null;

export default {
  fetch(request: Request, env: AnyEnv, ctx: unknown) {
    if (env !== seenEnv) {
      useNativeOutbound(env);
      edgeEnv = { ...env, KEY_LIMITER: farNamespace(env.KEY_LIMITER, Number(env.BENCH_DO_DELAY_MS ?? 0), env.BENCH_LEASES !== "off") };
      seenEnv = env;
    }
    return keygate.fetch(request, edgeEnv, ctx);
  },
};

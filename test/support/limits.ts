import { env } from "cloudflare:test";
import { parseDictionary, parseList } from "structured-headers";
import { resetLeases } from "../../src/limits/leases.ts";
import { call, createKey, json } from "./gateway.ts";

/** Reads the IETF fields the way a client library would: as Structured Field Lists. */
export function rateLimitFields(res: Response) {
  const policy = parseList(res.headers.get("ratelimit-policy") ?? "");
  const state = parseList(res.headers.get("ratelimit") ?? "");
  const byName = (list: ReturnType<typeof parseList>) =>
    Object.fromEntries(list.map(([name, params]) => [String(name), Object.fromEntries(params)]));
  return { policy: byName(policy), state: byName(state) };
}

export { parseDictionary };

export async function keyWithLimit(admin: string, body: Record<string, unknown>) {
  return createKey(admin, { permissionSet: "full_access", ...body });
}

/** Fire `n` requests at once and count the answers by status. */
export async function burst(key: string, n: number, path = "/v1/permission-sets") {
  const responses = await Promise.all(Array.from({ length: n }, () => call(path, { key })));
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return { responses, counts };
}

export function limiterStub(keyId: string) {
  return env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(keyId));
}

export { call, json, resetLeases };

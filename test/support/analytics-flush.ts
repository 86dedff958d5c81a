// Pushes every count the test's requests left behind into D1 now, instead of waiting for the
// isolate's report timer, the key object's alarm and the keyless flush (README "Analytics": lag).
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { flushKeyless } from "../../src/analytics/keyless.ts";
import { takeUsage } from "../../src/limits/usage-buffer.ts";
import { limiterStub } from "./limits.ts";

export async function flushAnalytics(keys: readonly { id: string; tenantId: string }[]): Promise<void> {
  for (const k of keys) {
    const stub = limiterStub(k.id);
    const usage = takeUsage(k.id);
    if (usage) await stub.report({ ...usage, keyId: k.id, tenantId: k.tenantId });
    await runDurableObjectAlarm(stub);
  }
  await flushKeyless(env.DB);
}

export type Totals = Record<string, number>;

/** requests per `column` value in one rollup table, for one key ("" = keyless rows). */
export async function totalsBy(table: string, column: string, where: string, ...binds: unknown[]): Promise<Totals> {
  const { results } = await env.DB.prepare(`SELECT ${column} AS k, sum(requests) AS n FROM ${table} WHERE ${where} GROUP BY ${column}`)
    .bind(...binds)
    .all<{ k: string; n: number }>();
  return Object.fromEntries(results.map((r) => [String(r.k), r.n]));
}

// The networks failing authentication most, from auth_failure_networks (hourly rows per /24 or /48
// and outcome). The ranking and the limit are applied in SQL, so a flood spread over many networks
// never reaches the Worker as rows: only the top `limit` networks' outcome rows do.
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import { authFailureNetworks } from "../db/analytics-schema.ts";
import type { Database } from "../db/client.ts";

export type Offender = { network: string; requests: number; outcomes: Record<string, number> };

export async function readOffenders(db: Database, range: { from: number; to: number }, limit: number): Promise<Offender[]> {
  const a = authFailureNetworks;
  const inRange = and(gte(a.bucket, range.from), lt(a.bucket, range.to));
  const total = sql<number>`sum(${a.requests})`.as("total");
  const top = db
    .select({ network: a.network, total })
    .from(a)
    .where(inRange)
    .groupBy(a.network)
    .orderBy(desc(total), a.network)
    .limit(limit)
    .as("top");
  const rows = await db
    .select({ network: a.network, outcome: a.outcome, requests: sql<number>`sum(${a.requests})` })
    .from(a)
    .innerJoin(top, eq(top.network, a.network))
    .where(inRange)
    .groupBy(a.network, a.outcome)
    .all();
  const byNetwork = new Map<string, Offender>();
  for (const r of rows) {
    const o = byNetwork.get(r.network) ?? { network: r.network, requests: 0, outcomes: {} };
    o.requests += Number(r.requests);
    o.outcomes[r.outcome] = Number(r.requests);
    byNetwork.set(r.network, o);
  }
  return [...byNetwork.values()].sort((x, y) => y.requests - x.requests || (x.network < y.network ? -1 : x.network > y.network ? 1 : 0));
}

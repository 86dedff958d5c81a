// The analytics series: one grouped query over the rollup table of the interval. Sums, priced
// tokens and the latency histogram are added up in SQL; the percentiles are read from the summed
// histogram (histograms add up, percentiles do not). Every filter is a bound parameter.
import { and, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { percentiles } from "../core/latency-histogram.ts";
import { Problem } from "../core/problem.ts";
import { analyticsDay, analyticsHour, analyticsMinute, HISTOGRAM_COLUMNS } from "../db/analytics-schema.ts";
import type { Database } from "../db/client.ts";
import { tenants } from "../db/schema.ts";
import type { Interval } from "../analytics/rollup-statements.ts";
import { pricedTokensSum, toUsd } from "../admin/usage-cost.ts";
import type { SeriesRange } from "./analytics-range.ts";

/** The most points one answer holds; a query that would return more is a 422, never a 503 or 500. */
export const MAX_POINTS = 10_000;

export const GROUP_BY = ["outcome", "route", "key", "tenant", "status"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

// The three tables share their columns; only the name (and so the bucket size) differs.
type RollupTable = typeof analyticsHour;
const TABLES: Record<Interval, RollupTable> = {
  minute: analyticsMinute as unknown as RollupTable,
  hour: analyticsHour,
  day: analyticsDay as unknown as RollupTable,
};

const GROUP_COLUMN: Record<GroupBy, (t: RollupTable) => SQLiteColumn> = {
  outcome: (t) => t.outcome,
  route: (t) => t.route,
  key: (t) => t.keyId,
  tenant: (t) => t.tenantId,
  status: (t) => t.statusClass,
};

export type SeriesFilters = {
  /** null: every tenant's rows, keyless ones too (platform keys only; see readableTenant). */
  tenantId: string | null;
  keyId?: string;
  route?: string;
  outcome?: string;
};

export type SeriesPoint = {
  time: string;
  requests: number;
  cost: number;
  costUsd: number;
  bytes: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
} & Partial<Record<GroupBy, string | null>>;

const histogramOf = (t: RollupTable) => HISTOGRAM_COLUMNS.map((name) => (t as unknown as Record<string, SQLiteColumn>)[name]!);

/** The group's value as the API shows it: "2xx" for a status class, null for "no key / no tenant". */
function groupValue(groupBy: GroupBy, raw: unknown): string | null {
  if (groupBy === "status") return `${String(raw)}xx`;
  if ((groupBy === "key" || groupBy === "tenant") && raw === "") return null;
  return String(raw);
}

/** Buckets with requests in [range.from, range.to), by time then group; empty buckets are absent. */
export async function readSeries(db: Database, range: SeriesRange, groupBy: GroupBy | undefined, f: SeriesFilters): Promise<SeriesPoint[]> {
  const t = TABLES[range.interval];
  const group = groupBy === undefined ? undefined : GROUP_COLUMN[groupBy](t);
  const hist = histogramOf(t);
  const where: (SQL | undefined)[] = [
    gte(t.bucket, range.from),
    lt(t.bucket, range.to),
    f.tenantId === null ? undefined : eq(t.tenantId, f.tenantId),
    f.keyId === undefined ? undefined : eq(t.keyId, f.keyId),
    f.route === undefined ? undefined : eq(t.route, f.route),
    f.outcome === undefined ? undefined : eq(t.outcome, f.outcome),
  ];
  const requests = sql<number>`sum(${t.requests})`;
  const rows = await db
    .select({
      bucket: t.bucket,
      group: group ?? sql<null>`NULL`,
      requests,
      cost: sql<number>`sum(${t.cost})`,
      priced: pricedTokensSum(t.cost),
      bytes: sql<number>`sum(${t.bytes})`,
      ...Object.fromEntries(hist.map((col, i) => [`h${i}`, sql<number>`sum(${col})`])),
    })
    .from(t)
    .leftJoin(tenants, eq(tenants.id, t.tenantId))
    .where(and(...where))
    .groupBy(...(group ? [t.bucket, group] : [t.bucket]))
    .having(sql`${requests} > 0`)
    .orderBy(...(group ? [t.bucket, group] : [t.bucket]))
    .limit(MAX_POINTS + 1)
    .all();
  if (rows.length > MAX_POINTS) {
    throw new Problem("validation-failed", {
      detail: `The series would hold more than ${MAX_POINTS} points: narrow the range, use a coarser interval, filter, or group by less.`,
      extensions: { errors: [{ path: "from", message: `more than ${MAX_POINTS} points` }] },
    });
  }
  return rows.map((r) => {
    const row = r as typeof r & Record<string, number>;
    // The group goes right after the time, where a reader looks for it.
    return {
      time: new Date(row.bucket).toISOString(),
      ...(groupBy === undefined ? {} : { [groupBy]: groupValue(groupBy, row.group) }),
      requests: Number(row.requests),
      cost: Number(row.cost),
      costUsd: toUsd(row.priced),
      bytes: Number(row.bytes),
      latencyMs: percentiles(hist.map((_, i) => Number(row[`h${i}`] ?? 0))),
    };
  });
}

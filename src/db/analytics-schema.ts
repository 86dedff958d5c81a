// Analytics rollups: requests per key, route, outcome and status class, in minute, hour and day
// buckets, added to by the keys' objects' flushes (and, for requests no key can be named for, by
// isolates in batches). Never a write per request. Retention: README "Analytics".
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { HISTOGRAM_SIZE } from "../core/latency-histogram.ts";

/** h0…h13: requests per latency bucket of core/latency-histogram.ts (not cumulative). */
export const HISTOGRAM_COLUMNS = Array.from({ length: HISTOGRAM_SIZE }, (_, i) => `h${i}`);

function histogram() {
  return Object.fromEntries(HISTOGRAM_COLUMNS.map((name) => [name, integer(name).notNull().default(0)])) as Record<
    `h${number}`,
    ReturnType<typeof integer>
  >;
}

function rollupTable<N extends string>(name: N) {
  return sqliteTable(
    name,
    {
      /** Start of the bucket, ms since the epoch (UTC). */
      bucket: integer("bucket").notNull(),
      /** "" for requests no tenant could be named for (missing, malformed or unknown keys). */
      tenantId: text("tenant_id").notNull(),
      keyId: text("key_id").notNull(),
      route: text("route").notNull(),
      outcome: text("outcome").notNull(),
      /** 2 for 2xx … 5 for 5xx. */
      statusClass: integer("status_class").notNull(),
      requests: integer("requests").notNull().default(0),
      /** Tokens charged. */
      cost: integer("cost").notNull().default(0),
      /** Bytes of WebSocket messages, both directions; 0 for HTTP requests. */
      bytes: integer("bytes").notNull().default(0),
      latencyMsSum: real("latency_ms_sum").notNull().default(0),
      ...histogram(),
    },
    (t) => [
      primaryKey({ columns: [t.bucket, t.keyId, t.route, t.outcome, t.statusClass] }),
      index(`${name}_tenant_bucket_idx`).on(t.tenantId, t.bucket),
      index(`${name}_key_bucket_idx`).on(t.keyId, t.bucket),
    ],
  );
}

export const analyticsMinute = rollupTable("analytics_minute");
export const analyticsHour = rollupTable("analytics_hour");
export const analyticsDay = rollupTable("analytics_day");

/** Failed authentications per client network (/24 IPv4, /48 IPv6) and hour: the offenders list. */
export const authFailureNetworks = sqliteTable(
  "auth_failure_networks",
  {
    bucket: integer("bucket").notNull(),
    network: text("network").notNull(),
    outcome: text("outcome").notNull(),
    requests: integer("requests").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.network, t.outcome] })],
);

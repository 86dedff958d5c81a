// Cost per million requests at Cloudflare's list prices (Workers Paid), from counted operations.
// Prices as listed in /work/shared/REFERENCE.md §3, taken on 2026-11-22; the monthly included
// allowances of the Paid plan are ignored (they matter for small accounts, not for the comparison).
export const PRICES = {
  asOf: "2026-11-22",
  source: "REFERENCE.md §3 (Cloudflare pricing pages: Workers, KV, Durable Objects, D1)",
  workerRequestsPerM: 0.3,
  cpuPerMms: 0.02,
  kvReadsPerM: 0.5,
  kvWritesPerM: 5.0,
  doRequestsPerM: 0.15,
  doGbSecondsPerM: 12.5,
  d1RowsReadPerM: 0.001,
  d1RowsWrittenPerM: 1.0,
};
/** Durable Objects are billed for 128 MB while active. */
const DO_GB = 0.128;

/**
 * $ per million requests. `ops` are per request: cpuMs (Worker CPU), doCalls (object requests,
 * alarms included), kvReads, kvWrites, d1RowsRead, d1RowsWritten, and objectSecondsPerRequest
 * (the wall time objects stay active, per request; an upper bound, see the report).
 */
export function costPerMillion(ops) {
  const parts = {
    requests: PRICES.workerRequestsPerM,
    cpu: (ops.cpuMs ?? 0) * PRICES.cpuPerMms,
    doRequests: (ops.doCalls ?? 0) * PRICES.doRequestsPerM,
    doDuration: (ops.objectSecondsPerRequest ?? 0) * DO_GB * PRICES.doGbSecondsPerM,
    kv: (ops.kvReads ?? 0) * PRICES.kvReadsPerM + (ops.kvWrites ?? 0) * PRICES.kvWritesPerM,
    d1: (ops.d1RowsRead ?? 0) * PRICES.d1RowsReadPerM + (ops.d1RowsWritten ?? 0) * PRICES.d1RowsWrittenPerM,
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

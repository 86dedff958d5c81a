// Requests no key can be named for (missing, malformed or unknown keys) and every failed
// authentication's client network: counted in this isolate and written to D1 in one batch at most
// every KEYLESS_FLUSH_MS, never per request. A flood of guessed keys costs one batch per isolate
// per interval, whatever its size; the bounds below keep its memory fixed too.
import { log } from "../core/log.ts";
import type { Outcome } from "./outcome.ts";
import { addSample, floorTo, HOUR_MS, mergeRollup, type Rollup, type Sample } from "./rollup.ts";
import { rollupStatements } from "./rollup-statements.ts";

/** Keyless counts reach D1 within this (plus the batch's own time): README "Analytics" lag. */
export const KEYLESS_FLUSH_MS = 10_000;
/** Distinct networks per flush; beyond it they are counted under "other". */
const MAX_NETWORKS = 5_000;
/** Rows per batch (each writes three rollup statements) and batches per flush; the rest waits for the next. */
const MAX_ROWS = 60;
const MAX_BATCHES = 4;
const NO_KEY = { tenantId: "", keyId: "" };

let rollup: Rollup = {};
/** `${hourStart}|${outcome}|${network}` → requests. */
let networks = new Map<string, number>();
/** When a flush was last scheduled (0: none). One that never ran (its request's context died) goes stale. */
let scheduledAt = 0;

/** A request that failed before any key was known. Returns true when a flush should be scheduled. */
export function countKeyless(sample: Sample): boolean {
  addSample(rollup, sample);
  return schedule();
}

/** A failed authentication from `network` (clientNetwork()), keyed or not. */
export function countNetwork(network: string, outcome: Outcome, at: number): boolean {
  const id = `${floorTo(at, HOUR_MS)}|${outcome}|${networks.size >= MAX_NETWORKS && !networks.has(network) ? "other" : network}`;
  networks.set(id, (networks.get(id) ?? 0) + 1);
  return schedule();
}

function schedule(): boolean {
  const now = Date.now();
  if (scheduledAt !== 0 && now - scheduledAt < 3 * KEYLESS_FLUSH_MS) return false;
  scheduledAt = now;
  return true;
}

/** Writes what is counted so far, in batches; what a failed batch held is kept for the next flush. */
export async function flushKeyless(db: D1Database): Promise<void> {
  scheduledAt = 0;
  for (let i = 0; i < MAX_BATCHES && keylessPending(); i++) {
    if (!(await flushBatch(db))) return;
  }
}

async function flushBatch(db: D1Database): Promise<boolean> {
  const entries = Object.entries(rollup);
  const rows = Object.fromEntries(entries.slice(0, MAX_ROWS));
  rollup = Object.fromEntries(entries.slice(MAX_ROWS));
  const nets = [...networks].slice(0, MAX_ROWS);
  for (const [id] of nets) networks.delete(id);
  const statements = [
    ...rollupStatements(db, NO_KEY, rows),
    ...nets.map(([id, n]) => {
      const [bucket, outcome, ...network] = id.split("|");
      return db
        .prepare(
          "INSERT INTO auth_failure_networks (bucket, network, outcome, requests) VALUES (?, ?, ?, ?) ON CONFLICT (bucket, network, outcome) DO UPDATE SET requests = requests + excluded.requests",
        )
        .bind(Number(bucket), network.join("|"), outcome, n);
    }),
  ];
  try {
    await db.batch(statements);
    return true;
  } catch (err) {
    // A batch is all or nothing: put its counts back, nothing was written. The next count schedules a retry.
    mergeRollup(rollup, rows);
    for (const [id, n] of nets) networks.set(id, (networks.get(id) ?? 0) + n);
    log("warn", "analytics.keyless_flush_failed", { error: String(err) });
    return false;
  }
}

/** Whether counts wait for a flush (for the stage that schedules one, and for tests). */
export const keylessPending = (): boolean => Object.keys(rollup).length > 0 || networks.size > 0;

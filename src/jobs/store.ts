// Job transitions, each one guarded UPDATE: it happens only from an allowed state.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Stores } from "../db/client.ts";
import { jobs, type JobRow } from "../db/schema.ts";
import { log } from "../core/log.ts";
import { ALLOWED_FROM, TERMINAL, type JobStatus } from "./states.ts";

export async function transition(
  stores: Stores,
  id: string,
  to: JobStatus,
  fields: Partial<Pick<JobRow, "progress" | "result" | "error">> = {},
): Promise<JobRow | null> {
  const now = Date.now();
  const [row] = await stores.db
    .update(jobs)
    .set({
      status: to,
      updatedAt: now,
      ...fields,
      ...(to === "running" ? { startedAt: sql`coalesce(${jobs.startedAt}, ${now})` } : {}),
      ...(TERMINAL.includes(to) ? { finishedAt: now } : {}),
    })
    .where(and(eq(jobs.id, id), inArray(jobs.status, [...ALLOWED_FROM[to]])))
    .returning();
  return row ?? null;
}

export async function failJob(stores: Stores, id: string, error: string): Promise<void> {
  try {
    await transition(stores, id, "failed", { error });
  } catch (err) {
    // The sweep will fail it later; the log says why it is still pending.
    log("error", "job.fail_failed", { jobId: id, error: String(err) });
  }
}

// Operators as D1 holds them. Read on each request a person makes: a removed operator or a changed
// role takes effect on the next request, and people send few enough requests for one read each.
import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { operators, type OperatorRow } from "../db/people-schema.ts";
import type { Operator } from "./operator.ts";

/** last_seen_at is written at most this often per operator (from each isolate). */
const SEEN_EVERY_MS = 5 * 60_000;

export async function findOperator(db: Database, email: string): Promise<OperatorRow | undefined> {
  return db.select().from(operators).where(eq(operators.email, email.toLowerCase())).get();
}

export const operatorOf = (row: OperatorRow): Operator => ({ id: row.id, email: row.email, role: row.role, tenantId: row.tenantId });

/** The UPDATE that records a visit, or null when the stored one is recent enough. */
export function noteSeen(db: Database, row: OperatorRow, now: number) {
  if (row.lastSeenAt !== null && now - row.lastSeenAt < SEEN_EVERY_MS) return null;
  return db.update(operators).set({ lastSeenAt: now }).where(eq(operators.id, row.id));
}

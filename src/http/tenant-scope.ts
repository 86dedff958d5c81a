// Tenant isolation, in one place. A key sees its own tenant's rows; a platform key sees every
// tenant's, or the one it names; the operator's reporter keys see every tenant's jobs (one ingest
// origin serves them all). Anything else is the same 404 as a row that does not exist, so ids
// cannot be probed across tenants. Every admin and jobs read goes through findOwned or pageOwned.
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Context } from "hono";
import { Problem } from "../core/problem.ts";
import { isPlatform } from "../keys/scopes.ts";
import type { AppEnv } from "./context.ts";

type Caller = Context<AppEnv>;
/** Reads on behalf of an origin reporting on jobs (the operator's reporter keys reach every tenant). */
export type Reach = { reporting?: boolean };

const noSuchTenant = () => new Problem("not-found", { detail: "No such tenant." });

export function seesEveryTenant(c: Caller, reach: Reach = {}): boolean {
  const { key, tenant } = c.get("principal");
  return isPlatform(key.scopes) || (reach.reporting === true && tenant.operator);
}

/** The tenant a request acts on: its own, or (platform keys only) the one it names. */
export function actingTenant(c: Caller, requested: string | undefined): string {
  const { key } = c.get("principal");
  if (requested === undefined || requested === key.tenantId) return key.tenantId;
  if (isPlatform(key.scopes)) return requested;
  throw noSuchTenant();
}

/** Which tenant a read covers: the named or own one, or null (every tenant) for a platform key naming none. */
export function readableTenant(c: Caller, requested: string | undefined, reach: Reach = {}): string | null {
  if (requested !== undefined) return actingTenant(c, requested);
  return seesEveryTenant(c, reach) ? null : c.get("principal").key.tenantId;
}

type Paged = SQLiteTable & { id: SQLiteColumn };
type Owned = Paged & { tenantId: SQLiteColumn };
type Row<T extends SQLiteTable> = T["$inferSelect"];

/** The row with this id, if the caller may see it; otherwise `notFound()`, as if it did not exist. */
export async function findOwned<T extends Owned>(c: Caller, table: T, id: string, notFound: () => Problem, reach: Reach = {}): Promise<Row<T>> {
  const row = (await c.get("stores").db.select().from(table as SQLiteTable).where(eq(table.id, id)).get()) as (Row<T> & { tenantId: string }) | undefined;
  if (!row || (row.tenantId !== c.get("principal").key.tenantId && !seesEveryTenant(c, reach))) throw notFound();
  return row;
}

export type PageQuery = { cursor?: string; limit: number };

/**
 * One page of rows, newest first (ids sort by creation time, so the cursor is the last id of a
 * page). For tables with no tenant (tenants themselves, platform scope only).
 */
export async function pageOf<T extends Paged>(c: Caller, table: T, q: PageQuery, filters: (SQL | undefined)[] = []): Promise<{ rows: Row<T>[]; nextCursor: string | null }> {
  const where = [...filters, q.cursor ? lt(table.id, q.cursor) : undefined];
  const rows = (await c
    .get("stores")
    .db.select()
    .from(table as SQLiteTable)
    .where(and(...where))
    .orderBy(desc(table.id))
    .limit(q.limit + 1)
    .all()) as (Row<T> & { id: string })[];
  if (rows.length <= q.limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, q.limit);
  return { rows: kept, nextCursor: kept[kept.length - 1]!.id };
}

/** One page of the rows the caller may see (readableTenant), newest first. */
export function pageOwned<T extends Owned>(
  c: Caller,
  table: T,
  q: PageQuery & { tenantId?: string },
  filters: (SQL | undefined)[] = [],
  reach: Reach = {},
): Promise<{ rows: Row<T>[]; nextCursor: string | null }> {
  const tenantId = readableTenant(c, q.tenantId, reach);
  return pageOf(c, table, q, [tenantId === null ? undefined : eq(table.tenantId, tenantId), ...filters]);
}

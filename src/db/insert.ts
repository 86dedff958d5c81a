// INSERT statements written from the drizzle schema, for the few inserts drizzle cannot express:
// one that lands only where a condition holds (INSERT … SELECT … WHERE, inside a D1 batch), and
// plain SQL text for `wrangler d1 execute` (bootstrap). The schema stays the one description of
// each row: column names and value encodings (JSON, booleans) come from it.
import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

type Encoded = { table: string; columns: string[]; values: unknown[] };

function encode<T extends SQLiteTable>(table: T, row: Partial<T["$inferInsert"]>): Encoded {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const [property, column] of Object.entries(getTableColumns(table))) {
    const value = (row as Record<string, unknown>)[property];
    if (value === undefined) continue;
    columns.push(column.name);
    values.push(value === null ? null : column.mapToDriverValue(value));
  }
  return { table: getTableName(table), columns, values };
}

/** The row, inserted only if `guard` (SQL with its own parameters) holds when the statement runs. */
export function insertWhere<T extends SQLiteTable, S>(
  d1: { prepare(query: string): { bind(...values: unknown[]): S } },
  table: T,
  row: Partial<T["$inferInsert"]>,
  guard: { sql: string; params: unknown[] },
): S {
  const e = encode(table, row);
  return d1
    .prepare(`INSERT INTO ${e.table} (${e.columns.join(", ")}) SELECT ${e.columns.map(() => "?").join(", ")} WHERE ${guard.sql}`)
    .bind(...e.values, ...guard.params);
}

const literal = (v: unknown): string =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : typeof v === "boolean" ? (v ? "1" : "0") : `'${String(v).replace(/'/g, "''")}'`;

/**
 * The row as one INSERT in plain SQL. `expressions` gives some columns as SQL instead of a value
 * (e.g. a subquery); `conflict` is appended as written (e.g. "ON CONFLICT(slug) DO NOTHING").
 */
export function insertText<T extends SQLiteTable>(
  table: T,
  row: Partial<T["$inferInsert"]>,
  expressions: Partial<Record<keyof T["$inferInsert"], string>> = {},
  conflict = "",
): string {
  const e = encode(table, { ...row, ...Object.fromEntries(Object.keys(expressions).map((k) => [k, 0])) });
  const columns = getTableColumns(table);
  const exprByColumn = new Map(Object.entries(expressions).map(([prop, sql]) => [columns[prop]!.name, sql as string]));
  const values = e.columns.map((name, i) => exprByColumn.get(name) ?? literal(e.values[i]));
  return `INSERT INTO ${e.table} (${e.columns.join(", ")}) VALUES (${values.join(", ")})${conflict ? ` ${conflict}` : ""}`;
}

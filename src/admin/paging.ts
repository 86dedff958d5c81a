// Cursor pagination over time-sortable ids, newest first. The cursor is the last id of a page.
export function page<T extends { id: string }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, nextCursor: kept[kept.length - 1]!.id };
}

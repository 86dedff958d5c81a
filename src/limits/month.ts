// Monthly quotas run on UTC calendar months.
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function secondsToMonthEnd(ms: number): number {
  const d = new Date(ms);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - ms) / 1000));
}

/** The IETF policy window for "month": a nominal 30 days, as the draft's examples use. */
export const MONTH_WINDOW_SECONDS = 2_592_000;

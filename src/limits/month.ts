// Monthly quotas run on UTC calendar months.
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The start of the UTC month `months` after the one holding `ms`, in ms. */
export function monthStart(ms: number, months = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
}

export function secondsToMonthEnd(ms: number): number {
  return Math.max(1, Math.ceil((monthStart(ms, 1) - ms) / 1000));
}

/** The IETF policy window for "month": a nominal 30 days, as the draft's examples use. */
export const MONTH_WINDOW_SECONDS = 2_592_000;

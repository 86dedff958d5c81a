// The time range of an analytics query: defaults, order, and how long a range each interval may
// cover. The limits follow the rollups' retention (minute rows are kept 48 h, hour rows 90 days)
// and bound the rows one answer can hold; a range past its interval's limit is refused with the
// interval that fits, rather than silently cut.
import { Problem } from "../core/problem.ts";
import { DAY_MS, floorTo, HOUR_MS, MINUTE_MS } from "../analytics/rollup.ts";
import { INTERVAL_MS, type Interval } from "../analytics/rollup-statements.ts";

/** Finest first. */
export const INTERVALS = ["minute", "hour", "day"] as const satisfies readonly Interval[];

/** What `from` defaults to, counted back from `to`. */
export const DEFAULT_SPAN_MS: Record<Interval, number> = { minute: HOUR_MS, hour: DAY_MS, day: 30 * DAY_MS };
export const MAX_SPAN_MS: Record<Interval, number> = { minute: 48 * HOUR_MS, hour: 90 * DAY_MS, day: 3660 * DAY_MS };
const MAX_SPAN_TEXT: Record<Interval, string> = { minute: "48 hours", hour: "90 days", day: "3660 days" };

export type SeriesRange = {
  interval: Interval;
  /** `from` floored to the interval: the first bucket's start. */
  from: number;
  /** Exclusive: a bucket that starts before it is counted whole. */
  to: number;
};

const invalid = (path: string, message: string, detail: string) =>
  new Problem("validation-failed", { detail, extensions: { errors: [{ path, message }] } });

/** Defaults (to: now; from: to minus the interval's default span), then from < to and the limit. */
export function seriesRange(q: { from?: string; to?: string; interval: Interval }, now = Date.now()): SeriesRange {
  const to = q.to === undefined ? now : Date.parse(q.to);
  const from = q.from === undefined ? to - DEFAULT_SPAN_MS[q.interval] : Date.parse(q.from);
  checkOrder(from, to);
  const span = to - from;
  if (span > MAX_SPAN_MS[q.interval]) throw tooLong(q.interval, span);
  return { interval: q.interval, from: floorTo(from, INTERVAL_MS[q.interval]), to };
}

export function checkOrder(from: number, to: number): void {
  if (from >= to) throw invalid("from", "must be before to", "from must be before to.");
}

/** "A range of 10 days has too many minutes: use interval=hour (up to 90 days) or interval=day." */
function tooLong(interval: Interval, span: number): Problem {
  const range = `A range of ${describeSpan(span, MAX_SPAN_MS[interval])}`;
  const fits = INTERVALS.filter((i) => INTERVAL_MS[i] > INTERVAL_MS[interval] && span <= MAX_SPAN_MS[i]);
  if (fits.length === 0) {
    const message = `at most ${MAX_SPAN_TEXT.day} (interval=day)`;
    return invalid("from", message, `${range} is too long: ask for ${MAX_SPAN_TEXT.day} or less (interval=day), in several requests if need be.`);
  }
  const options = fits.map((i, n) => (n < fits.length - 1 ? `interval=${i} (up to ${MAX_SPAN_TEXT[i]})` : `interval=${i}`)).join(" or ");
  return invalid("interval", `${interval} covers at most ${MAX_SPAN_TEXT[interval]}; use ${options}`, `${range} has too many ${interval}s: use ${options}.`);
}

/** To a tenth, rounded up where rounding would make a range just past the limit read as the limit. */
function describeSpan(ms: number, limit: number): string {
  const [unit, name] = ms >= 3 * DAY_MS ? [DAY_MS, "days"] : ms >= 2 * HOUR_MS ? [HOUR_MS, "hours"] : [MINUTE_MS, "minutes"];
  const near = Math.round((ms / unit) * 10) / 10;
  return `${near * unit > limit ? near : Math.ceil((ms / unit) * 10) / 10} ${name}`;
}

/** The offenders' range, in whole hours (their table's resolution): from floored, to ceiled. */
export function hourRange(q: { from?: string; to?: string }, now = Date.now()): { from: number; to: number } {
  const to = q.to === undefined ? now : Date.parse(q.to);
  const from = q.from === undefined ? to - DAY_MS : Date.parse(q.from);
  checkOrder(from, to);
  return { from: floorTo(from, HOUR_MS), to: Math.ceil(to / HOUR_MS) * HOUR_MS };
}

// Every other setting keygate reads from its env, each parsed once per value (core/per-value.ts).
// The route table has its own module (route-table.ts); the signing keys are parsed, and their
// WebCrypto keys imported, once per value by proxy/signing.ts.
import { log } from "../core/log.ts";
import { perValue } from "../core/per-value.ts";

/** Browser origins allowed to call the API (CORS_ORIGINS, comma-separated). Never "*". */
export const corsOrigins = perValue(
  (raw: string | undefined): ReadonlySet<string> =>
    new Set(
      (raw ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "" && s !== "*"),
    ),
);

const DEFAULT_STUCK_AFTER_S = 900;

/**
 * JOB_STUCK_AFTER_SECONDS in ms. A value that is not a positive number must not switch the
 * sweep off: the default applies, and the log says why once per value.
 */
export const stuckAfterMs = perValue((raw: string | undefined): number => {
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  if (raw !== undefined && raw !== "") log("warn", "config.invalid", { setting: "JOB_STUCK_AFTER_SECONDS", value: raw, using: DEFAULT_STUCK_AFTER_S });
  return DEFAULT_STUCK_AFTER_S * 1000;
});

const DEFAULT_KEY_RETENTION_DAYS = 90;
/** A century: beyond it a number of days is more likely a typo than a policy. */
const MAX_KEY_RETENTION_DAYS = 36_500;

/**
 * KEY_RETENTION_DAYS in ms, or null when the retention sweep is off ("0" or "off"). Unset or empty:
 * the default. Unlike the job sweep's setting, a value that cannot be read switches it off (and the
 * log says so once per value): deleting erases secrets for good, so it never runs on a number
 * nobody meant.
 */
export const keyRetentionMs = perValue((raw: string | undefined): number | null => {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return DEFAULT_KEY_RETENTION_DAYS * 86_400_000;
  if (value === "0" || value === "off") return null;
  const days = /^\d+$/.test(value) ? Number(value) : NaN;
  if (days >= 1 && days <= MAX_KEY_RETENTION_DAYS) return days * 86_400_000;
  log("warn", "config.invalid", { setting: "KEY_RETENTION_DAYS", value: raw, using: "off" });
  return null;
});

/**
 * ACCESS_LOG_SUCCESS_SAMPLE: the share of answered requests below 400 that get an access-log line
 * (0 to 1; refusals and errors always do). Unset or unreadable: every one, and the log says why
 * once per value. README "Performance" explains the shipped 0.01.
 */
export const accessLogSuccessSample = perValue((raw: string | undefined): number => {
  if (raw === undefined || raw.trim() === "") return 1;
  const n = Number(raw);
  if (n >= 0 && n <= 1) return n;
  log("warn", "config.invalid", { setting: "ACCESS_LOG_SUCCESS_SAMPLE", value: raw, using: 1 });
  return 1;
});

/** LEGACY_RATELIMIT_HEADERS: also the X-RateLimit-Limit/Remaining/Reset trio (off by default: README "Limits"). */
export const legacyRateLimitHeaders = (env: { LEGACY_RATELIMIT_HEADERS?: string }): boolean => env.LEGACY_RATELIMIT_HEADERS === "true";

/** EXPOSE_STORE_METRICS: store-call counts in a Server-Timing header (tests and benchmarks). */
export const exposeStoreMetrics = (env: { EXPOSE_STORE_METRICS?: string }): boolean => env.EXPOSE_STORE_METRICS === "true";

/** The shortest retention each rollup keeps, whatever is configured: what alerts and charts read. */
const ANALYTICS_FLOOR = { minute: 48, hour: 90 } as const;

/**
 * How long minute rollups (ANALYTICS_MINUTE_RETENTION_HOURS, default 48) and hour rollups (and the
 * offenders list; ANALYTICS_HOUR_RETENTION_DAYS, default 90) are kept; day rollups are kept for
 * good. A value below the floor or unreadable keeps the floor, and the log says so once per value.
 */
export const minuteRetentionMs = perValue((raw: string | undefined) => retention(raw, "ANALYTICS_MINUTE_RETENTION_HOURS", ANALYTICS_FLOOR.minute) * 3_600_000);
export const hourRetentionMs = perValue((raw: string | undefined) => retention(raw, "ANALYTICS_HOUR_RETENTION_DAYS", ANALYTICS_FLOOR.hour) * 86_400_000);

function retention(raw: string | undefined, setting: string, floor: number): number {
  if (raw === undefined || raw.trim() === "") return floor;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (n >= floor && n <= MAX_KEY_RETENTION_DAYS * 24) return n;
  log("warn", "config.invalid", { setting, value: raw, using: floor, why: `at least ${floor}` });
  return floor;
}

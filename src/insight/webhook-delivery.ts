// Delivering events as Standard Webhooks: POST the event's stored body with webhook-id (the event
// id, the same on every attempt), webhook-timestamp (this attempt's, in unix seconds) and
// webhook-signature. A 2xx delivers it; anything else (another status, a redirect, which is not
// followed, no answer within the timeout) is retried after 1 min, 5 min, 30 min, 2 h and 8 h, and
// after the sixth failed attempt the event is `failed`. A retry is the same message, never a new
// episode. Failures are logged with the receiver's host only: never the secret, never the path.
import { log } from "../core/log.ts";
import { webhookSignature } from "./webhook-signing.ts";
import { webhookOrigin, webhookUrlProblem } from "./webhook-url.ts";

export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 8 * 3_600_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Events attempted per run; the rest wait for the next run (every minute). */
export const DELIVERIES_PER_RUN = 50;
/** Workers keep at most six connections open at once; more would only queue inside fetch. */
const PARALLEL = 6;
/** A claimed event is not claimed again by an overlapping run for this long. */
const CLAIM_MS = 5 * 60_000;
/** A retry due within this of the run's start is made now, not a minute later. */
const DUE_SLACK_MS = 10_000;
export const USER_AGENT = "keygate-webhooks";

export type DeliveryOptions = {
  /** The run's time: what "due" and the retry schedule are measured from. */
  now: number;
  fetch: typeof fetch;
  timeoutMs: number;
  environment: string | undefined;
};

export type DeliveryReport = { delivered: number; retrying: number; failed: number };

type Claimed = { id: string; ruleId: string; payload: string; attempts: number };
type Target = { id: string; webhookUrl: string; secret: string };
type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string; final?: boolean };

/** Claims due events (so an overlapping run cannot send them too), sends them, records what happened. */
export async function deliverDue(d1: D1Database, opts: DeliveryOptions): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, failed: 0 };
  const due = opts.now + DUE_SLACK_MS;
  const { results: claimed } = await d1
    .prepare(
      `UPDATE alert_events SET next_attempt_at = ?
       WHERE id IN (SELECT id FROM alert_events WHERE delivery = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
         AND delivery = 'pending' AND next_attempt_at <= ?
       RETURNING id, rule_id AS ruleId, payload, attempts`,
    )
    .bind(opts.now + CLAIM_MS, due, DELIVERIES_PER_RUN, due)
    .all<Claimed>();
  if (claimed.length === 0) return report;

  const ruleIds = [...new Set(claimed.map((e) => e.ruleId))];
  const { results: targets } = await d1
    .prepare(`SELECT id, webhook_url AS webhookUrl, secret FROM alert_rules WHERE id IN (${ruleIds.map(() => "?").join(", ")})`)
    .bind(...ruleIds)
    .all<Target>();
  const byId = new Map(targets.map((t) => [t.id, t]));

  const attempts = await inPool(claimed, PARALLEL, (e) => attempt(e, byId.get(e.ruleId), opts));
  const updates = claimed.map((event, i) => {
    const result = attempts[i]!;
    const n = event.attempts + 1;
    if (result.ok) {
      report.delivered++;
      return d1
        .prepare("UPDATE alert_events SET delivery = 'delivered', attempts = ?, last_status = ?, last_error = NULL, delivered_at = ?, next_attempt_at = NULL WHERE id = ?")
        .bind(n, result.status, opts.now, event.id);
    }
    const final = result.final === true || n >= MAX_ATTEMPTS;
    const next = final ? null : opts.now + RETRY_DELAYS_MS[n - 1]!;
    if (final) report.failed++;
    else report.retrying++;
    const target = byId.get(event.ruleId);
    log(final ? "error" : "warn", final ? "alert.delivery_failed" : "alert.delivery_retrying", {
      eventId: event.id,
      ruleId: event.ruleId,
      attempt: n,
      status: result.status,
      error: result.error,
      receiver: target ? webhookOrigin(target.webhookUrl) : null,
      nextAttemptAt: next === null ? null : new Date(next).toISOString(),
    });
    return d1
      .prepare("UPDATE alert_events SET delivery = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?")
      .bind(final ? "failed" : "pending", n, result.status, result.error, next, event.id);
  });
  await d1.batch(updates);
  return report;
}

async function attempt(event: Claimed, target: Target | undefined, opts: DeliveryOptions): Promise<Attempt> {
  if (!target) return { ok: false, status: null, error: "the rule was deleted", final: true };
  const refused = webhookUrlProblem(target.webhookUrl, opts.environment);
  if (refused) return { ok: false, status: null, error: `webhook URL ${refused}`, final: true };
  // The real clock, not the run's: receivers compare it with theirs to refuse replays.
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": event.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await webhookSignature(target.secret, event.id, timestamp, event.payload),
  };
  try {
    const res = await opts.fetch(target.webhookUrl, { method: "POST", headers, body: event.payload, redirect: "manual", signal: AbortSignal.timeout(opts.timeoutMs) });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    const error = res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: redirects are not followed` : `HTTP ${res.status}`;
    return { ok: false, status: res.status, error };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    if (name === "TimeoutError" || name === "AbortError") return { ok: false, status: null, error: `no answer within ${opts.timeoutMs / 1000} s` };
    // The runtime's message may quote the URL, whose path can hold a token: only its origin stays.
    // The URL as stored and as the runtime normalizes it (lower-cased host, added "/", escapes).
    let message = String(err instanceof Error ? err.message : err);
    for (const form of urlForms(target.webhookUrl)) message = message.split(form).join(webhookOrigin(target.webhookUrl));
    return { ok: false, status: null, error: `could not connect: ${message.slice(0, 200)}` };
  }
}

function urlForms(raw: string): string[] {
  try {
    const href = new URL(raw).href;
    return href === raw ? [raw] : [raw, href];
  } catch {
    return [raw];
  }
}

/** fn over items with at most `width` running at once; results in the items' order. */
async function inPool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

// The cron trigger's alert work, every minute: evaluate the enabled rules against the rollups
// (alert-metrics.ts), record the episodes' edges (alert-evaluate.ts), then deliver what is due,
// the new events included (webhook-delivery.ts). One failing half does not stop the other:
// retries still go out while evaluation fails, and the other way round.
import { asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { log } from "../core/log.ts";
import { alertRules } from "../db/alerts-schema.ts";
import { recordEvaluation } from "./alert-evaluate.ts";
import { measure } from "./alert-metrics.ts";
import { ATTEMPT_TIMEOUT_MS, deliverDue, type DeliveryReport } from "./webhook-delivery.ts";

/**
 * Rules evaluated per run, the least recently evaluated first: with more, each is evaluated every
 * ceil(rules / 200) minutes. Reads per run stay at most 2 per distinct window (plus one per 80
 * tenants of a window used only by tenant rules).
 */
export const MAX_RULES_PER_RUN = 200;

export type AlertRunOptions = {
  /** The time the run evaluates at (tests move it); signatures still carry the real clock. */
  now?: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

export type AlertRunReport = DeliveryReport & { evaluated: number; fired: number; resolved: number };

/** Evaluates every alert rule and delivers pending webhooks; run by the scheduled handler. */
export async function runAlerts(env: Env, opts: AlertRunOptions = {}): Promise<AlertRunReport> {
  const now = opts.now ?? Date.now();
  const report: AlertRunReport = { evaluated: 0, fired: 0, resolved: 0, delivered: 0, retrying: 0, failed: 0 };
  try {
    const rules = await drizzle(env.DB)
      .select()
      .from(alertRules)
      .where(eq(alertRules.enabled, true))
      .orderBy(asc(alertRules.lastEvaluatedAt), asc(alertRules.id))
      .limit(MAX_RULES_PER_RUN)
      .all();
    const values = await measure(env.DB, rules, now);
    const edges = await recordEvaluation(env.DB, rules, values, now);
    report.evaluated = values.size;
    report.fired = edges.filter((e) => e.type === "alert.firing").length;
    report.resolved = edges.length - report.fired;
  } catch (err) {
    log("error", "alerts.evaluation_failed", { error: String(err) });
  }
  try {
    Object.assign(
      report,
      // Called unbound, workerd's fetch throws "Illegal invocation": wrapped, it keeps its this.
      await deliverDue(env.DB, { now, fetch: opts.fetch ?? ((input, init) => fetch(input, init)), timeoutMs: opts.timeoutMs ?? ATTEMPT_TIMEOUT_MS, environment: env.ENVIRONMENT }),
    );
  } catch (err) {
    log("error", "alerts.delivery_pass_failed", { error: String(err) });
  }
  if (report.fired + report.resolved + report.delivered + report.retrying + report.failed > 0) log("info", "alerts.run", report);
  return report;
}

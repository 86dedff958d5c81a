// Episodes. A rule fires when its value is at or above its threshold. Going from ok to firing
// writes one alert.firing event, going back writes one alert.resolved event, and staying writes
// none. Each edge is a guarded UPDATE (… WHERE state = <the state we saw>) and the event's INSERT,
// which lands only if that UPDATE changed the row (changes(), inside the batch's one transaction):
// two overlapping runs cannot both record the same edge, and every edge has exactly one event.
// The event's webhook body is fixed here, so every delivery attempt sends the same bytes.
import { alertEvents, type AlertEventRow, type AlertRuleRow } from "../db/alerts-schema.ts";
import { insertWhere } from "../db/insert.ts";
import { newId } from "../db/ids.ts";

export type EventType = AlertEventRow["type"];
export type Edge = { ruleId: string; eventId: string; type: EventType };

/** The Standard Webhooks body of an event. */
export function webhookPayload(rule: AlertRuleRow, type: EventType, value: number, now: number): string {
  return JSON.stringify({
    type,
    timestamp: new Date(now).toISOString(),
    data: {
      rule: { id: rule.id, name: rule.name, metric: rule.metric },
      value,
      threshold: rule.threshold,
      window: rule.windowMinutes,
      tenantId: rule.tenantId,
    },
  });
}

/**
 * Records each rule's value, and the edges, in one D1 batch. Returns the edges that were
 * recorded (an edge another run recorded first is not among them).
 */
export async function recordEvaluation(d1: D1Database, rules: readonly AlertRuleRow[], values: ReadonlyMap<string, number>, now: number): Promise<Edge[]> {
  const measured = rules.filter((r) => values.has(r.id));
  if (measured.length === 0) return [];
  const lastValues = Object.fromEntries(measured.map((r) => [r.id, values.get(r.id)!]));
  const statements: D1PreparedStatement[] = [
    d1
      .prepare(
        `UPDATE alert_rules SET last_value = v.value, last_evaluated_at = ?
         FROM (SELECT key AS id, value FROM json_each(?)) AS v WHERE alert_rules.id = v.id`,
      )
      .bind(now, JSON.stringify(lastValues)),
  ];
  const edges: (Edge & { at: number })[] = [];
  for (const rule of measured) {
    const value = values.get(rule.id)!;
    const firing = value >= rule.threshold;
    if (firing === (rule.state === "firing")) continue;
    const type: EventType = firing ? "alert.firing" : "alert.resolved";
    const [from, to] = firing ? ["ok", "firing"] : ["firing", "ok"];
    const event: AlertEventRow = {
      id: newId("msg"),
      ruleId: rule.id,
      tenantId: rule.tenantId,
      type,
      value,
      threshold: rule.threshold,
      windowMinutes: rule.windowMinutes,
      payload: webhookPayload(rule, type, value, now),
      at: now,
      delivery: "pending",
      attempts: 0,
      // Due at once: the run delivers it right after this batch.
      nextAttemptAt: now,
      lastStatus: null,
      lastError: null,
      deliveredAt: null,
    };
    statements.push(
      d1.prepare("UPDATE alert_rules SET state = ? WHERE id = ? AND state = ? AND enabled = 1").bind(to, rule.id, from),
      insertWhere(d1, alertEvents, event, { sql: "changes() > 0", params: [] }),
    );
    edges.push({ ruleId: rule.id, eventId: event.id, type, at: statements.length - 1 });
  }
  const results = await d1.batch(statements);
  return edges.filter((e) => results[e.at]!.meta.changes > 0).map(({ ruleId, eventId, type }) => ({ ruleId, eventId, type }));
}

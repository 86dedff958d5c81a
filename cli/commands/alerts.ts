// keygate alerts create | list | show | update | delete | events | rotate-secret. Only create and
// rotate-secret ever print a webhook signing secret: the one they just made, once.
import { UsageError } from "../core/args.ts";
import type { Command, Ctx } from "../core/command.ts";
import { block, printable, table, when } from "../core/output.ts";
import { nonEmpty, oneOf, required, tenantIdFlag } from "../core/values.ts";
import { PAGING_HELP } from "./tenants.ts";
import type { Alert, AlertEvent, AlertWithSecret, Page } from "./types.ts";

const METRICS = ["auth_failures", "rate_limited", "requests", "error_rate", "cost_usd", "usage_anomaly"];
const ALERT_ID = /^alr_[0-9A-Za-z]{8,40}$/;

function alertId(ctx: Ctx, command: string): string {
  const id = ctx.args[0]!;
  if (!ALERT_ID.test(id)) throw new UsageError(`'${id}' is not an alert rule id (alr_…)`, command);
  return id;
}

function thresholdValue(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UsageError(`--threshold must be a number of at least 0 (e.g. 100 or 0.05); got '${value}'`, command);
  return Number(value);
}

/** --window: whole minutes, 1 to 1440; `30`, `30m` and `2h` all work. */
function windowValue(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\s*(m|min|h)?$/.exec(value.trim());
  const minutes = m ? Number(m[1]) * (m[2] === "h" ? 60 : 1) : NaN;
  if (!(minutes >= 1 && minutes <= 1440)) throw new UsageError(`--window must be 1 to 1440 minutes (e.g. 5, 15m, 2h); got '${value}'`, command);
  return minutes;
}

function booleanValue(value: string | undefined, flag: string, command: string): boolean | undefined {
  const v = oneOf(value, ["true", "false"], flag, command);
  return v === undefined ? undefined : v === "true";
}

const scope = (a: Alert) => a.tenantId ?? "all traffic (platform rule)";
const condition = (a: Alert) => `${a.metric} >= ${a.threshold} over ${a.windowMinutes} min`;

export function alertBlock(a: Alert): string[] {
  return block([
    ["id", a.id],
    ["name", a.name],
    ["tenant", scope(a)],
    ["fires when", condition(a)],
    ["webhook", a.webhookUrl],
    ["enabled", a.enabled ? "yes" : "no"],
    ["state", a.state],
    ["last value", a.lastValue === null ? "-" : String(a.lastValue)],
    ["last evaluated", when(a.lastEvaluatedAt, "never")],
    ["created", `${when(a.createdAt)}${a.createdBy ? ` by ${a.createdBy}` : ""}`],
    ["updated", when(a.updatedAt)],
  ]);
}

function rawOut(ctx: Ctx, raw: string): number {
  ctx.print.out(raw);
  return 0;
}

function printSecret(ctx: Ctx, a: AlertWithSecret, headline: string): void {
  const { out } = ctx.print;
  out(headline);
  out();
  out(`    ${a.secret}`);
  out();
  out("Store this secret now with your webhook receiver: it is shown only this once. Receivers verify each");
  out("delivery's webhook-signature with it (Standard Webhooks; e.g. the `standardwebhooks` package).");
  out();
  for (const line of alertBlock(a)) out(line);
}

const RULE_HELP = [
  `  --metric M         ${METRICS.slice(0, 4).join(", ")},`,
  `                     ${METRICS.slice(4).join(", ")}`,
  "  --threshold X      fires when the metric is at or above X (error_rate: a fraction, 0.05 = 5%;",
  "                     usage_anomaly: a ratio to the 7-day average, 3 = three times the usual)",
  "  --window W         the last W minutes plus the current one: 1 to 1440 (5, 15m, 2h)",
  "  --webhook-url URL  https (http://127.0.0.1… or http://localhost… outside production)",
];

export const alertsCreate: Command = {
  name: "alerts create",
  usage: "alerts create --name N --metric M --threshold X --window W --webhook-url URL [--tenant ID] [--enabled false]",
  summary: "Create an alert rule and print its webhook signing secret, once",
  help: [
    "  --name N           a name for people",
    ...RULE_HELP,
    "  --tenant ID        the tenant (ten_…) whose traffic it watches; default: the caller's, or for a",
    "                     platform key all traffic",
    "  --enabled false    create it switched off",
  ],
  flags: ["name", "metric", "threshold", "window", "webhook-url", "tenant", "enabled"],
  args: [],
  async run(ctx) {
    const cmd = "alerts create";
    const { flags } = ctx;
    const missing = (["metric", "threshold", "window", "webhook-url"] as const).filter((f) => flags[f] === undefined);
    if (missing.length) throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(", ")}`, cmd);
    const body = {
      name: required(ctx, "name", cmd),
      metric: oneOf(flags.metric, METRICS, "metric", cmd),
      threshold: thresholdValue(flags.threshold, cmd),
      windowMinutes: windowValue(flags.window, cmd),
      webhookUrl: nonEmpty(flags["webhook-url"]!, "webhook-url", cmd),
      tenantId: tenantIdFlag(flags.tenant, cmd),
      enabled: booleanValue(flags.enabled, "enabled", cmd),
    };
    const { body: created, raw } = await ctx.api().request<AlertWithSecret>("POST", "/v1/alerts", { body });
    if (ctx.json) return rawOut(ctx, raw);
    printSecret(ctx, created, `Created alert rule ${created.id} (${printable(created.name)}); its webhook signing secret:`);
    return 0;
  },
};

export const alertsList: Command = {
  name: "alerts list",
  usage: "alerts list [--tenant ID] [--state ok|firing] [--limit N] [--cursor C]",
  summary: "List alert rules, newest first (never their secrets)",
  help: ["  --tenant ID        only this tenant's rules (platform keys see every rule by default)", "  --state S          ok or firing", ...PAGING_HELP],
  flags: ["tenant", "state", "limit", "cursor"],
  args: [],
  async run(ctx) {
    const { flags } = ctx;
    const cmd = "alerts list";
    const { body, raw } = await ctx.api().request<Page<Alert>>("GET", "/v1/alerts", {
      query: { tenantId: tenantIdFlag(flags.tenant, cmd), state: oneOf(flags.state, ["ok", "firing"], "state", cmd), limit: flags.limit, cursor: flags.cursor },
    });
    if (ctx.json) return rawOut(ctx, raw);
    if (body.data.length === 0) ctx.print.out("No alert rules.");
    else {
      const rows = body.data.map((a) => [a.id, a.name, a.tenantId ?? "(all)", condition(a), a.enabled ? a.state : "disabled", a.lastValue === null ? "-" : String(a.lastValue)]);
      for (const line of table(["ID", "NAME", "TENANT", "FIRES WHEN", "STATE", "LAST VALUE"], rows)) ctx.print.out(line);
    }
    if (body.nextCursor) ctx.print.err(`More: keygate alerts list --cursor ${body.nextCursor}`);
    return 0;
  },
};

export const alertsShow: Command = {
  name: "alerts show",
  usage: "alerts show ID",
  summary: "Show one alert rule (never its secret)",
  help: [],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = alertId(ctx, "alerts show");
    const { body, raw } = await ctx.api().request<Alert>("GET", `/v1/alerts/${id}`);
    if (ctx.json) return rawOut(ctx, raw);
    for (const line of alertBlock(body)) ctx.print.out(line);
    return 0;
  },
};

const UPDATE_FLAGS = ["name", "metric", "threshold", "window", "webhook-url", "enabled"] as const;

export const alertsUpdate: Command = {
  name: "alerts update",
  usage: "alerts update ID [--name N] [--metric M] [--threshold X] [--window W] [--webhook-url URL] [--enabled true|false]",
  summary: "Change an alert rule",
  help: ["Only the flags given change; at least one is needed. The rule keeps its state and its secret.", "  --name N           a name for people", ...RULE_HELP, "  --enabled B        false switches the rule off, true on again"],
  flags: [...UPDATE_FLAGS],
  args: ["ID"],
  async run(ctx) {
    const cmd = "alerts update";
    const id = alertId(ctx, cmd);
    const { flags } = ctx;
    const body = {
      name: flags.name === undefined ? undefined : nonEmpty(flags.name, "name", cmd),
      metric: oneOf(flags.metric, METRICS, "metric", cmd),
      threshold: thresholdValue(flags.threshold, cmd),
      windowMinutes: windowValue(flags.window, cmd),
      webhookUrl: flags["webhook-url"] === undefined ? undefined : nonEmpty(flags["webhook-url"], "webhook-url", cmd),
      enabled: booleanValue(flags.enabled, "enabled", cmd),
    };
    if (Object.values(body).every((v) => v === undefined)) {
      throw new UsageError(`nothing to update: give at least one of ${UPDATE_FLAGS.map((f) => `--${f}`).join(", ")}`, cmd);
    }
    const { body: rule, raw } = await ctx.api().request<Alert>("PATCH", `/v1/alerts/${id}`, { body });
    if (ctx.json) return rawOut(ctx, raw);
    ctx.print.out(`Updated alert rule ${rule.id} (${printable(rule.name)}).`);
    ctx.print.out();
    for (const line of alertBlock(rule)) ctx.print.out(line);
    return 0;
  },
};

export const alertsDelete: Command = {
  name: "alerts delete",
  usage: "alerts delete ID --yes",
  summary: "Delete an alert rule and its events",
  help: ["Pending deliveries are dropped; the audit trail keeps the rule's history.", "  --yes              required: deleting cannot be undone"],
  flags: ["yes"],
  args: ["ID"],
  async run(ctx) {
    const cmd = "alerts delete";
    const id = alertId(ctx, cmd);
    if (!ctx.flags.yes) throw new UsageError(`deleting alert rule ${id} also deletes its events and cannot be undone; add --yes to go ahead`, cmd);
    const { body: rule, raw } = await ctx.api().request<Alert>("DELETE", `/v1/alerts/${id}`);
    if (ctx.json) return rawOut(ctx, raw);
    ctx.print.out(`Deleted alert rule ${rule.id} (${printable(rule.name)}) and its events.`);
    return 0;
  },
};

function deliveryCell(e: AlertEvent): string {
  if (e.delivery === "delivered") return `delivered ${when(e.deliveredAt)}`;
  if (e.delivery === "failed") return "failed";
  return e.nextAttemptAt ? `pending, next ${when(e.nextAttemptAt)}` : "pending";
}

export const alertsEvents: Command = {
  name: "alerts events",
  usage: "alerts events ID [--limit N] [--cursor C]",
  summary: "A rule's history: firing and resolved events and their delivery, newest first",
  help: ["EVENT is also the webhook-id of every delivery attempt.", ...PAGING_HELP],
  flags: ["limit", "cursor"],
  args: ["ID"],
  async run(ctx) {
    const id = alertId(ctx, "alerts events");
    const { body, raw } = await ctx.api().request<Page<AlertEvent>>("GET", `/v1/alerts/${id}/events`, { query: { limit: ctx.flags.limit, cursor: ctx.flags.cursor } });
    if (ctx.json) return rawOut(ctx, raw);
    if (body.data.length === 0) ctx.print.out("No events: the rule has not fired.");
    else {
      const rows = body.data.map((e) => [when(e.at), e.type, String(e.value), String(e.threshold), deliveryCell(e), String(e.attempts), e.lastStatus === null ? "-" : String(e.lastStatus), e.id]);
      for (const line of table(["AT", "TYPE", "VALUE", "THRESHOLD", "DELIVERY", "ATTEMPTS", "LAST STATUS", "EVENT"], rows)) ctx.print.out(line);
    }
    if (body.nextCursor) ctx.print.err(`More: keygate alerts events ${id} --cursor ${body.nextCursor}`);
    return 0;
  },
};

export const alertsRotateSecret: Command = {
  name: "alerts rotate-secret",
  usage: "alerts rotate-secret ID",
  summary: "Replace a rule's webhook signing secret and print the new one, once",
  help: ["Every delivery from now on, retries of earlier events too, is signed with the new secret only."],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = alertId(ctx, "alerts rotate-secret");
    const { body: rotated, raw } = await ctx.api().request<AlertWithSecret>("POST", `/v1/alerts/${id}/rotate-secret`);
    if (ctx.json) return rawOut(ctx, raw);
    printSecret(ctx, rotated, `Rotated the webhook signing secret of alert rule ${rotated.id} (${printable(rotated.name)}); the new one:`);
    return 0;
  },
};

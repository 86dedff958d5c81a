// keygate analytics: requests, cost and latency over time (GET /v1/analytics), and
// keygate analytics offenders: the networks failing authentication most (GET /v1/analytics/offenders).
import { OUTCOMES } from "../../src/analytics/outcome.ts";
import { UsageError } from "../core/args.ts";
import type { Command } from "../core/command.ts";
import { table, when } from "../core/output.ts";
import { keyIdFlag, nonEmpty, oneOf, tenantIdFlag, wholeNumber } from "../core/values.ts";

type Latency = { p50: number | null; p95: number | null; p99: number | null };
type Point = { time: string; requests: number; cost: number; costUsd: number; latencyMs: Latency } & Record<string, unknown>;
type Series = { interval: string; from: string; to: string; groupBy: string | null; data: Point[] };
type Offenders = { from: string; to: string; data: { network: string; requests: number; outcomes: Record<string, number> }[] };

const INTERVALS = ["minute", "hour", "day"];
const GROUP_BY = ["outcome", "route", "key", "tenant", "status"];
const AGO_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const TIME_FORMS = "an ISO time with its zone (2026-11-02T10:00:00Z), a UTC day (2026-11-02: its start) or a time ago (90m, 6h, 7d, 2w)";

/** --from/--to: an ISO time with a zone, a UTC day (its first instant) or a duration ago. */
export function instantValue(value: string | undefined, flag: string, command: string, now = Date.now()): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const ago = /^(\d+)([mhdw])$/.exec(v);
  if (ago) return new Date(now - Number(ago[1]) * AGO_MS[ago[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const ms = Date.parse(`${v}T00:00:00Z`);
    if (!Number.isNaN(ms) && new Date(ms).toISOString().startsWith(v)) return new Date(ms).toISOString();
  } else if (ISO_DATETIME.test(v) && !Number.isNaN(Date.parse(v))) return v;
  throw new UsageError(`--${flag} must be ${TIME_FORMS}; got '${value}'`, command);
}

/** Dollars to the millionth, without trailing zeros; a nonzero amount never prints as 0. */
export function usd(amount: number): string {
  if (amount === 0) return "0";
  const fixed = amount.toFixed(6).replace(/\.?0+$/, "");
  return fixed === "0" ? "<0.000001" : fixed;
}

const ms = (v: number | null) => (v === null ? "-" : String(v));
const groupCell = (v: unknown) => (v === null || v === undefined ? "(none)" : String(v));

function range(flags: { from?: string; to?: string }, cmd: string) {
  const from = instantValue(flags.from, "from", cmd);
  const to = instantValue(flags.to, "to", cmd);
  if (from && to && Date.parse(from) >= Date.parse(to)) throw new UsageError(`--from ${flags.from} is not before --to ${flags.to}`, cmd);
  return { from, to };
}

/** "label  intro a, b, c" wrapped at 100 columns, continuing at the help's indent. */
function wrappedList(label: string, intro: string, items: readonly string[]): string[] {
  const lines = [`${label.padEnd(21)}${intro}`];
  for (const [i, item] of items.entries()) {
    const piece = ` ${item}${i < items.length - 1 ? "," : ""}`;
    if (lines.at(-1)!.length + piece.length > 100) lines.push("".padEnd(20));
    lines[lines.length - 1] += piece;
  }
  return lines;
}

const TIME_HELP = [
  "  --from T           start: an ISO time with its zone, a UTC day (its start) or a time ago",
  "                     (90m, 6h, 7d, 2w)",
  "  --to T             end, exclusive, in the same forms (default: now)",
];

export function seriesLines(s: Series, filters: string[]): string[] {
  const lines = [`Requests by ${s.interval}, ${when(s.from)} to ${when(s.to)} (UTC)${filters.length ? `, ${filters.join(", ")}` : ""}.`];
  if (s.data.length === 0) return [...lines, "", "No requests in this period."];
  const group = s.groupBy ? [s.groupBy.toUpperCase()] : [];
  const rows = s.data.map((p) => [
    when(p.time),
    ...(s.groupBy ? [groupCell(p[s.groupBy])] : []),
    String(p.requests),
    String(p.cost),
    usd(p.costUsd),
    ms(p.latencyMs.p50),
    ms(p.latencyMs.p95),
    ms(p.latencyMs.p99),
  ]);
  const first = group.length + 1;
  const right = Array.from({ length: 6 }, (_, i) => first + i);
  lines.push("", ...table(["TIME", ...group, "REQUESTS", "COST", "USD", "P50", "P95", "P99"], rows, { right }));
  lines.push("", "COST is tokens charged; USD prices them at each tenant's current price; P50/P95/P99 are latency in ms.");
  return lines;
}

export const analytics: Command = {
  name: "analytics",
  usage:
    "analytics [--from T] [--to T] [--interval minute|hour|day] [--group-by outcome|route|key|tenant|status] [--tenant ID] [--key ID] [--route R] [--outcome O]",
  summary: "Requests, cost and latency over time (also: analytics offenders)",
  help: [
    ...TIME_HELP,
    "                     Default range: the last hour (minute), 24 hours (hour) or 30 days (day).",
    "  --interval I       bucket size: minute (up to 48 hours), hour (default, up to 90 days) or day",
    "  --group-by G       one row per bucket and outcome, route, key, tenant or status class (2xx…);",
    "                     (none) is a request no key or tenant could be named for",
    "  --tenant ID        only this tenant (platform keys; a tenant admin sees only its own anyway)",
    "  --key ID           only this key (key_…)",
    "  --route R          only this route, as usage names it, e.g. 'POST /v1/query'",
    ...wrappedList("  --outcome O", "only this outcome:", OUTCOMES),
    "Buckets without requests are left out. See also: keygate analytics offenders --help.",
  ],
  flags: ["from", "to", "interval", "group-by", "tenant", "key", "route", "outcome"],
  args: [],
  async run(ctx) {
    const cmd = "analytics";
    const { flags } = ctx;
    const query = {
      ...range(flags, cmd),
      interval: oneOf(flags.interval, INTERVALS, "interval", cmd),
      groupBy: oneOf(flags["group-by"], GROUP_BY, "group-by", cmd),
      tenantId: tenantIdFlag(flags.tenant, cmd),
      keyId: keyIdFlag(flags.key, cmd),
      route: flags.route === undefined ? undefined : nonEmpty(flags.route, "route", cmd),
      outcome: oneOf(flags.outcome, [...OUTCOMES], "outcome", cmd),
    };
    const { body, raw } = await ctx.api().request<Series>("GET", "/v1/analytics", { query });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    const filters = [
      query.tenantId && `tenant ${query.tenantId}`,
      query.keyId && `key ${query.keyId}`,
      query.route && `route ${query.route}`,
      query.outcome && `outcome ${query.outcome}`,
    ].filter((f): f is string => Boolean(f));
    for (const line of seriesLines(body, filters)) ctx.print.out(line);
    return 0;
  },
};

export const analyticsOffenders: Command = {
  name: "analytics offenders",
  usage: "analytics offenders [--from T] [--to T] [--limit N]",
  summary: "The client networks failing authentication most (platform keys only)",
  help: [
    ...TIME_HELP,
    "                     Counted per hour: from is rounded down and to up to the hour. Default: the",
    "                     last 24 hours.",
    "  --limit N          at most N networks (1-100, default 20)",
    "Networks are /24 for IPv4 and /48 for IPv6; OUTCOMES says how each failed.",
  ],
  flags: ["from", "to", "limit"],
  args: [],
  async run(ctx) {
    const cmd = "analytics offenders";
    const limit = wholeNumber(ctx.flags.limit, "limit", cmd);
    const query = { ...range(ctx.flags, cmd), limit: limit === undefined ? undefined : String(limit) };
    const { body, raw } = await ctx.api().request<Offenders>("GET", "/v1/analytics/offenders", { query });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    ctx.print.out(`Failed authentications by client network, ${when(body.from)} to ${when(body.to)} (UTC hours).`);
    ctx.print.out();
    if (body.data.length === 0) {
      ctx.print.out("No failed authentications in this period.");
      return 0;
    }
    const rows = body.data.map((o) => [
      o.network,
      String(o.requests),
      Object.entries(o.outcomes)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(", "),
    ]);
    for (const line of table(["NETWORK", "REQUESTS", "OUTCOMES"], rows, { right: [1] })) ctx.print.out(line);
    return 0;
  },
};

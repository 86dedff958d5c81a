// keygate usage: requests by UTC day and by route, for a tenant (GET /v1/usage) or a key
// (GET /v1/keys/{id}/usage), as the keys' objects flushed them to D1.
import { UsageError } from "../core/args.ts";
import type { Command } from "../core/command.ts";
import { table, when } from "../core/output.ts";
import { dayValue, keyIdFlag, monthRange, tenantIdFlag } from "../core/values.ts";
import { usd } from "./analytics.ts";
import type { Usage, UsageCounts } from "./types.ts";

const COUNTS = ["REQUESTS", "REFUSED", "2XX", "3XX", "4XX", "5XX"];
const RIGHT = [1, 2, 3, 4, 5, 6];

const cells = (c: UsageCounts) => [c.requests, c.refused, c.status2xx, c.status3xx, c.status4xx, c.status5xx].map(String);

export function usageLines(u: Usage): string[] {
  const subject = u.keyId ? `key ${u.keyId}` : u.tenantId ? `tenant ${u.tenantId}` : "every tenant";
  const lines = [`Usage of ${subject}, ${u.from} to ${u.to} (UTC days).`];
  if (u.keyId) lines.push(`Last used: ${when(u.lastUsedAt, "never")}.`);
  if (u.days.length === 0 && u.routes.length === 0) {
    lines.push("", "No requests in this period.");
    return lines;
  }
  lines.push("", ...table(["DAY", ...COUNTS], [...u.days.map((d) => [d.day, ...cells(d)]), ["TOTAL", ...cells(u.totals)]], { right: RIGHT }));
  lines.push("", ...table(["ROUTE", ...COUNTS], u.routes.map((r) => [r.route, ...cells(r)]), { right: RIGHT }));
  const { cost, costUsd } = u.totals;
  if (cost !== undefined && costUsd !== undefined) lines.push("", `Cost: ${cost} tokens, ${usd(costUsd)} USD at the current price.`);
  return lines;
}

export const usage: Command = {
  name: "usage",
  usage: "usage [--tenant ID | --key ID] [--month YYYY-MM | --from DAY --to DAY]",
  summary: "Requests by day and by route, for a tenant or one key",
  help: [
    "  --tenant ID        this tenant (platform keys; default: the caller's own, or every tenant for a",
    "                     platform key)",
    "  --key ID           this key (key_…) instead of a tenant",
    "  --month YYYY-MM    that calendar month (UTC)",
    "  --from DAY         first UTC day, YYYY-MM-DD (default: 29 days before --to)",
    "  --to DAY           last UTC day, inclusive (default: today)",
    "REFUSED counts requests the key's limits answered with 429. Figures lag live traffic by",
    "about 15 seconds. Cost: the tokens charged over these days, in USD at the tenant's current price.",
  ],
  flags: ["tenant", "key", "month", "from", "to"],
  args: [],
  async run(ctx) {
    const cmd = "usage";
    const { flags } = ctx;
    if (flags.tenant !== undefined && flags.key !== undefined) throw new UsageError("give --tenant or --key, not both", cmd);
    if (flags.month !== undefined && (flags.from !== undefined || flags.to !== undefined)) {
      throw new UsageError("give --month or --from/--to, not both", cmd);
    }
    const key = keyIdFlag(flags.key, cmd);
    const tenantId = tenantIdFlag(flags.tenant, cmd);
    const range = flags.month !== undefined ? monthRange(flags.month, cmd) : { from: dayValue(flags.from, "from", cmd), to: dayValue(flags.to, "to", cmd) };
    if (range.from && range.to && range.from > range.to) throw new UsageError(`--from ${range.from} is after --to ${range.to}`, cmd);
    const { body, raw } = key
      ? await ctx.api().request<Usage>("GET", `/v1/keys/${key}/usage`, { query: range })
      : await ctx.api().request<Usage>("GET", "/v1/usage", { query: { ...range, tenantId } });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    for (const line of usageLines(body)) ctx.print.out(line);
    return 0;
  },
};

// keygate tenants create | list | show | update (platform keys only).
import { UsageError } from "../core/args.ts";
import type { Command } from "../core/command.ts";
import { block, printable, rate, table, when } from "../core/output.ts";
import { countValue, DEFAULT, idArg, ipListValue, NONE, nonEmpty, oneOf, rateLimitValue, required, ruleRows } from "../core/values.ts";
import { usd } from "./analytics.ts";
import type { Page, Tenant } from "./types.ts";

const PLANS = ["free", "pro", "enterprise"];

/** --price-per-1k USD: a decimal number of dollars per 1,000 tokens, or "default" (the plan's). */
function priceValue(value: string | undefined, command: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === DEFAULT) return null;
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    throw new UsageError(`--price-per-1k must be USD per 1,000 tokens, e.g. 0.002, or '${DEFAULT}'; got '${value}'`, command);
  }
  return Number(value);
}

/** The flag's help, its description in column `width` (the two commands align theirs differently). */
function priceHelp(width: number): string[] {
  const label = "  --price-per-1k USD";
  const text = ["USD per 1,000 tokens of cost, e.g. 0.002, for the cost", `estimates of usage and analytics (0 to 1000); '${DEFAULT}' is the plan's`];
  const indented = text.map((t) => "".padEnd(width) + t);
  return label.length + 2 <= width ? [label.padEnd(width) + text[0], indented[1]!] : [label, ...indented];
}

/** Help lines for the tenant's network flags, descriptions at column `width`; `clear`: update's. */
function networkHelp(clear: boolean, width: number): string[] {
  const removes = clear ? `; '${NONE}' removes the rule` : "";
  return [
    `${"  --allow-ip L".padEnd(width)}CIDR,...: every key of the tenant only from these addresses or ranges (IPv4, IPv6)${removes}`,
    `${"  --deny-ip L".padEnd(width)}CIDR,...: no key of the tenant from these addresses or ranges, whatever an allowlist says${removes}`,
  ];
}

export function tenantBlock(t: Tenant): string[] {
  return block([
    ["id", t.id],
    ["name", t.name],
    ["slug", t.slug],
    ["plan", t.plan],
    ["active", t.active ? "yes" : "no"],
    // Shown once the gateway has them, "-" when unset.
    ["email", t.email === undefined ? undefined : (t.email ?? "-")],
    ["description", t.description === undefined ? undefined : (t.description ?? "-")],
    ["rate limit", rate(t.effective.rateLimit) + (t.overrides.rateLimit ? " (override)" : "") + (t.effective.tenantRateLimit ? " per key" : "")],
    [
      "tenant rate limit",
      t.effective.tenantRateLimit ? rate(t.effective.tenantRateLimit) + (t.overrides.tenantRateLimit ? " (override)" : "") + ", all keys together" : undefined,
    ],
    ["monthly quota", (t.effective.monthlyQuota === null ? "unlimited" : String(t.effective.monthlyQuota)) + (t.overrides.monthlyQuota !== null ? " (override)" : "")],
    ["max keys", String(t.effective.maxKeys) + (t.overrides.maxKeys !== null ? " (override)" : "")],
    ["price", t.pricePer1kTokens === undefined ? undefined : `${t.pricePer1kTokens} USD per 1,000 tokens` + (t.priceSource === "tenant" ? " (override)" : "")],
    ["cost this month", t.costUsdMonthToDate === undefined ? undefined : `${usd(t.costUsdMonthToDate)} USD (UTC month to date, at the current price)`],
    ...ruleRows({ allowedIps: t.allowedIps, deniedIps: t.deniedIps }),
    ["created", when(t.createdAt)],
    ["updated", when(t.updatedAt)],
  ]);
}

export const PAGING_HELP = [
  "  --limit N          at most N per page (1-100, default 20)",
  "  --cursor C         the page after C (printed when there are more)",
];

export const tenantsCreate: Command = {
  name: "tenants create",
  usage: "tenants create --name N --slug S [--plan free|pro|enterprise] [--price-per-1k USD] [--allow-ip CIDR,...] [--deny-ip CIDR,...]",
  summary: "Create a tenant",
  help: [
    "  --name N           display name",
    "  --slug S           unique id for humans: lowercase letters, digits, inner hyphens",
    "  --plan P           free (default), pro or enterprise",
    ...priceHelp(21),
    ...networkHelp(false, 21),
  ],
  flags: ["name", "slug", "plan", "price-per-1k", "allow-ip", "deny-ip"],
  args: [],
  async run(ctx) {
    const body = {
      name: required(ctx, "name", "tenants create"),
      slug: required(ctx, "slug", "tenants create"),
      plan: oneOf(ctx.flags.plan, PLANS, "plan", "tenants create"),
      pricePer1kTokens: priceValue(ctx.flags["price-per-1k"], "tenants create"),
      allowedIps: ipListValue(ctx.flags["allow-ip"], "allow-ip", "tenants create", false),
      deniedIps: ipListValue(ctx.flags["deny-ip"], "deny-ip", "tenants create", false),
    };
    const { body: tenant, raw } = await ctx.api().request<Tenant>("POST", "/v1/tenants", { body });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    ctx.print.out(`Created tenant ${tenant.id} (${tenant.slug}).`);
    ctx.print.out();
    for (const line of tenantBlock(tenant)) ctx.print.out(line);
    return 0;
  },
};

export const tenantsList: Command = {
  name: "tenants list",
  usage: "tenants list [--limit N] [--cursor C]",
  summary: "List tenants, newest first",
  help: PAGING_HELP,
  flags: ["limit", "cursor"],
  args: [],
  async run(ctx) {
    const { body, raw } = await ctx.api().request<Page<Tenant>>("GET", "/v1/tenants", {
      query: { limit: ctx.flags.limit, cursor: ctx.flags.cursor },
    });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    if (body.data.length === 0) ctx.print.out("No tenants.");
    else {
      const rows = body.data.map((t) => [t.id, t.slug, t.name, t.plan, t.active ? "yes" : "no", when(t.createdAt)]);
      for (const line of table(["ID", "SLUG", "NAME", "PLAN", "ACTIVE", "CREATED"], rows)) ctx.print.out(line);
    }
    if (body.nextCursor) ctx.print.err(`More: keygate tenants list --cursor ${body.nextCursor}`);
    return 0;
  },
};

export const tenantsShow: Command = {
  name: "tenants show",
  usage: "tenants show ID",
  summary: "Show one tenant, with its plan's limits and any overrides",
  help: [],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = idArg(ctx, "tenant", "tenants show");
    const { body, raw } = await ctx.api().request<Tenant>("GET", `/v1/tenants/${id}`);
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    for (const line of tenantBlock(body)) ctx.print.out(line);
    return 0;
  },
};

const UPDATE_FLAGS = [
  "name",
  "plan",
  "active",
  "inactive",
  "rate-limit",
  "tenant-rate-limit",
  "monthly-quota",
  "max-keys",
  "email",
  "description",
  "price-per-1k",
  "allow-ip",
  "deny-ip",
] as const;

export const tenantsUpdate: Command = {
  name: "tenants update",
  usage:
    "tenants update ID [--name N] [--plan P] [--active | --inactive] [--rate-limit 'R/s, burst B'] [--tenant-rate-limit 'R/s, burst B'] [--monthly-quota N] [--max-keys N] [--email E] [--description D] [--price-per-1k USD] [--allow-ip CIDR,...|none] [--deny-ip CIDR,...|none]",
  summary: "Change a tenant's name, plan, limits, price, contact, networks or active flag",
  help: [
    "Only the flags given change; at least one is needed.",
    "  --name N            display name",
    "  --plan P            free, pro or enterprise",
    "  --active            let the tenant's keys work again",
    "  --inactive          refuse every key of the tenant (403 tenant-inactive) until --active",
    `  --rate-limit R      each key's own bucket, e.g. '100/s, burst 200' (or 100/s,200), overriding the plan's;`,
    `                      '${DEFAULT}' clears the override`,
    "  --tenant-rate-limit R",
    `                      the bucket all of the tenant's keys share, in the same form; '${DEFAULT}' clears it`,
    `  --monthly-quota N   requests a calendar month (UTC), overriding the plan's; '${DEFAULT}' clears it`,
    `  --max-keys N        active keys allowed at once, overriding the plan's; '${DEFAULT}' clears it`,
    "  --email E           contact address; '' clears it",
    "  --description D     free text; '' clears it",
    ...priceHelp(22),
    ...networkHelp(true, 22),
  ],
  flags: [...UPDATE_FLAGS],
  args: ["ID"],
  async run(ctx) {
    const cmd = "tenants update";
    const id = idArg(ctx, "tenant", cmd);
    const { flags } = ctx;
    if (flags.active && flags.inactive) throw new UsageError("give --active or --inactive, not both", cmd);
    const cleared = (v: string | undefined) => (v === undefined ? undefined : v.trim() === "" ? null : v);
    const body = {
      name: flags.name === undefined ? undefined : nonEmpty(flags.name, "name", cmd),
      plan: oneOf(flags.plan, PLANS, "plan", cmd),
      active: flags.active ? true : flags.inactive ? false : undefined,
      rateLimit: rateLimitValue(flags["rate-limit"], cmd),
      tenantRateLimit: rateLimitValue(flags["tenant-rate-limit"], cmd, "tenant-rate-limit"),
      monthlyQuota: countValue(flags["monthly-quota"], "monthly-quota", cmd),
      maxKeys: countValue(flags["max-keys"], "max-keys", cmd),
      email: cleared(flags.email),
      description: cleared(flags.description),
      pricePer1kTokens: priceValue(flags["price-per-1k"], cmd),
      allowedIps: ipListValue(flags["allow-ip"], "allow-ip", cmd, true),
      deniedIps: ipListValue(flags["deny-ip"], "deny-ip", cmd, true),
    };
    if (Object.values(body).every((v) => v === undefined)) {
      throw new UsageError(`nothing to update: give at least one of ${UPDATE_FLAGS.map((f) => `--${f}`).join(", ")}`, cmd);
    }
    const { body: tenant, raw } = await ctx.api().request<Tenant>("PATCH", `/v1/tenants/${id}`, { body });
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    ctx.print.out(`Updated tenant ${tenant.id} (${printable(tenant.slug)}).`);
    if (body.active === false) ctx.print.out("Its keys are refused until it is active again: keygate tenants update " + tenant.id + " --active");
    ctx.print.out();
    for (const line of tenantBlock(tenant)) ctx.print.out(line);
    return 0;
  },
};

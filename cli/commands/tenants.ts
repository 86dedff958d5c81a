// keygate tenants create | list (platform keys only).
import { UsageError } from "../core/args.ts";
import type { Command, Ctx } from "../core/command.ts";
import { block, rate, table, when } from "../core/output.ts";
import type { Page, Tenant } from "./types.ts";

const PLANS = ["free", "pro", "enterprise"];

export function tenantBlock(t: Tenant): string[] {
  return block([
    ["id", t.id],
    ["name", t.name],
    ["slug", t.slug],
    ["plan", t.plan],
    ["active", t.active ? "yes" : "no"],
    ["rate limit", rate(t.effective.rateLimit) + (t.overrides.rateLimit ? " (override)" : "")],
    ["monthly quota", (t.effective.monthlyQuota === null ? "unlimited" : String(t.effective.monthlyQuota)) + (t.overrides.monthlyQuota !== null ? " (override)" : "")],
    ["max keys", String(t.effective.maxKeys) + (t.overrides.maxKeys !== null ? " (override)" : "")],
    ["created", when(t.createdAt)],
    ["updated", when(t.updatedAt)],
  ]);
}

export function required(ctx: Ctx, flag: "name" | "slug", command: string): string {
  const value = ctx.flags[flag];
  if (value === undefined) throw new UsageError(`missing --${flag}`, command);
  if (value.trim() === "") throw new UsageError(`--${flag} must not be empty`, command);
  return value;
}

export function oneOf(value: string | undefined, allowed: string[], flag: string, command: string): string | undefined {
  if (value !== undefined && !allowed.includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got '${value}'`, command);
  }
  return value;
}

export const PAGING_HELP = [
  "  --limit N          at most N per page (1-100, default 20)",
  "  --cursor C         the page after C (printed when there are more)",
];

export const tenantsCreate: Command = {
  name: "tenants create",
  usage: "tenants create --name N --slug S [--plan free|pro|enterprise]",
  summary: "Create a tenant",
  help: [
    "  --name N           display name",
    "  --slug S           unique id for humans: lowercase letters, digits, inner hyphens",
    "  --plan P           free (default), pro or enterprise",
  ],
  flags: ["name", "slug", "plan"],
  args: [],
  async run(ctx) {
    const body = {
      name: required(ctx, "name", "tenants create"),
      slug: required(ctx, "slug", "tenants create"),
      plan: oneOf(ctx.flags.plan, PLANS, "plan", "tenants create"),
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

// keygate operators add | list | show | update | remove: the people who may sign in to the console
// (through Cloudflare Access), and the role each has. Platform keys and platform-wide owners manage them (platform scope).
import { ROLES } from "../../src/people/operator.ts";
import { UsageError } from "../core/args.ts";
import type { Command, Ctx } from "../core/command.ts";
import { block, printable, table, when } from "../core/output.ts";
import { oneOf, tenantIdFlag } from "../core/values.ts";
import { PAGING_HELP } from "./tenants.ts";
import type { Page } from "./types.ts";

/** GET /v1/operators/{id}, as far as the CLI reads it. */
export type Operator = {
  id: string;
  email: string;
  role: string;
  tenantId: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
};

const OPERATOR_ID = /^opr_[0-9A-Za-z]{8,40}$/;
// Deliberately loose: the sign-in identity decides what is real; this only catches a typo (a
// missing @, a name pasted instead, a stray space) before anything is sent.
const EMAIL = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@.\p{Cc}\p{Cf}]+(?:\.[^\s@.\p{Cc}\p{Cf}]+)+$/u;

function operatorId(ctx: Ctx, command: string): string {
  const id = ctx.args[0]!;
  if (!OPERATOR_ID.test(id)) throw new UsageError(`'${id}' is not an operator id (opr_…)`, command);
  return id;
}

function emailValue(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError("missing --email", command);
  const email = value.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw new UsageError(`--email must be an email address (name@example.com); got '${value}'`, command);
  return email;
}

function roleValue(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`missing --role (${ROLES.join(", ")})`, command);
  return oneOf(value, [...ROLES], "role", command)!;
}

const scope = (o: Operator) => o.tenantId ?? "the whole platform";

export function operatorBlock(o: Operator): string[] {
  return block([
    ["id", o.id],
    ["email", o.email],
    ["role", o.role],
    ["tenant", scope(o)],
    ["last seen", when(o.lastSeenAt, "never")],
    ["created", when(o.createdAt)],
    ["updated", when(o.updatedAt)],
  ]);
}

function rawOut(ctx: Ctx, raw: string): number {
  ctx.print.out(raw);
  return 0;
}

const ROLE_HELP = [
  "  --role R           owner: everything in its reach (platform-wide owners: operators too);",
  "                     admin: everything but changing tenants or operators; viewer: reads only",
];

export const operatorsAdd: Command = {
  name: "operators add",
  usage: "operators add --email E --role owner|admin|viewer [--tenant ID]",
  summary: "Let a person sign in to the console with a role",
  help: [
    "  --email E          the address the person signs in with through Cloudflare Access",
    ...ROLE_HELP,
    "  --tenant ID        confine the person to this tenant (ten_…), as its admin keys are; default:",
    "                     the whole platform",
    "",
    "The CLI needs a platform key for this. The first owner is added with the platform key (the one",
    "'keygate bootstrap' printed), set as KEYGATE_ADMIN_KEY like any other admin key:",
    "  read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY",
    "  keygate operators add --email you@example.com --role owner",
  ],
  flags: ["email", "role", "tenant"],
  args: [],
  async run(ctx) {
    const cmd = "operators add";
    const body = {
      email: emailValue(ctx.flags.email, cmd),
      role: roleValue(ctx.flags.role, cmd),
      tenantId: tenantIdFlag(ctx.flags.tenant, cmd),
    };
    const { body: created, raw } = await ctx.api().request<Operator>("POST", "/v1/operators", { body });
    if (ctx.json) return rawOut(ctx, raw);
    ctx.print.out(`Added operator ${created.id} (${printable(created.email)}) as ${created.role}.`);
    ctx.print.out();
    for (const line of operatorBlock(created)) ctx.print.out(line);
    return 0;
  },
};

export const operatorsList: Command = {
  name: "operators list",
  usage: "operators list [--tenant ID] [--limit N] [--cursor C]",
  summary: "List operators, newest first",
  help: ["  --tenant ID        only this tenant's operators (platform keys see every operator by default)", ...PAGING_HELP],
  flags: ["tenant", "limit", "cursor"],
  args: [],
  async run(ctx) {
    const cmd = "operators list";
    const tenantId = tenantIdFlag(ctx.flags.tenant, cmd);
    const { body, raw } = await ctx.api().request<Page<Operator>>("GET", "/v1/operators", {
      query: { tenantId, limit: ctx.flags.limit, cursor: ctx.flags.cursor },
    });
    if (ctx.json) return rawOut(ctx, raw);
    if (body.data.length === 0) ctx.print.out("No operators.");
    else {
      const rows = body.data.map((o) => [o.id, o.email, o.role, o.tenantId ?? "(platform)", when(o.lastSeenAt, "never"), when(o.createdAt)]);
      for (const line of table(["ID", "EMAIL", "ROLE", "TENANT", "LAST SEEN", "CREATED"], rows)) ctx.print.out(line);
    }
    if (body.nextCursor) ctx.print.err(`More: keygate operators list${tenantId ? ` --tenant ${tenantId}` : ""} --cursor ${body.nextCursor}`);
    return 0;
  },
};

export const operatorsShow: Command = {
  name: "operators show",
  usage: "operators show ID",
  summary: "Show one operator",
  help: [],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = operatorId(ctx, "operators show");
    const { body, raw } = await ctx.api().request<Operator>("GET", `/v1/operators/${id}`);
    if (ctx.json) return rawOut(ctx, raw);
    for (const line of operatorBlock(body)) ctx.print.out(line);
    return 0;
  },
};

export const operatorsUpdate: Command = {
  name: "operators update",
  usage: "operators update ID --role owner|admin|viewer",
  summary: "Change an operator's role",
  help: ["It applies from the person's next request; nobody changes their own role.", ...ROLE_HELP],
  flags: ["role"],
  args: ["ID"],
  async run(ctx) {
    const cmd = "operators update";
    const id = operatorId(ctx, cmd);
    const body = { role: roleValue(ctx.flags.role, cmd) };
    const { body: updated, raw } = await ctx.api().request<Operator>("PATCH", `/v1/operators/${id}`, { body });
    if (ctx.json) return rawOut(ctx, raw);
    ctx.print.out(`Updated operator ${updated.id} (${printable(updated.email)}): now ${updated.role}.`);
    ctx.print.out();
    for (const line of operatorBlock(updated)) ctx.print.out(line);
    return 0;
  },
};

export const operatorsRemove: Command = {
  name: "operators remove",
  usage: "operators remove ID",
  summary: "Stop a person signing in to the console",
  help: ["Ends the person's access to the console and the API; add them again to let them back in."],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = operatorId(ctx, "operators remove");
    // 204: there is no body, so --json prints nothing and the exit code says it worked.
    await ctx.api().request<undefined>("DELETE", `/v1/operators/${id}`);
    if (!ctx.json) ctx.print.out(`Removed operator ${id}.`);
    return 0;
  },
};

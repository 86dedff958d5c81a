// keygate keys create | list | show | revoke | roll. Only create and roll ever print a secret:
// the one they just made, once.
import { UsageError } from "../core/args.ts";
import type { Command, Ctx } from "../core/command.ts";
import { block, printable, rate, table, when } from "../core/output.ts";
import { oneOf, PAGING_HELP, required } from "./tenants.ts";
import type { Key, KeyWithSecret, Page } from "./types.ts";

const ID = /^key_[0-9A-Za-z]{8,40}$/;

function keyId(ctx: Ctx, command: string): string {
  const id = ctx.args[0]!;
  if (!ID.test(id)) throw new UsageError(`'${id}' is not a key id (key_…)`, command);
  return id;
}

export function status(k: Key, now = Date.now()): string {
  if (k.revokedAt) return "revoked";
  if (!k.enabled) return "disabled";
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return "expired";
  return "active";
}

/** What identifies a secret without revealing it: its first characters and last four. */
const display = (k: Key) => `${k.start}…${k.hint}`;

export function keyBlock(k: Key): string[] {
  return block([
    ["id", k.id],
    ["name", k.name],
    ["description", k.description],
    ["tenant", k.tenantId],
    ["environment", k.environment],
    ["scopes", k.scopes.join(", ")],
    ["secret", `${display(k)} (start…last four)`],
    ["status", status(k)],
    ["expires", when(k.expiresAt, "never")],
    ["rate limit", rate(k.rateLimit, "tenant's plan")],
    ["monthly quota", k.monthlyQuota === null ? "tenant's plan" : String(k.monthlyQuota)],
    ["created", `${when(k.createdAt)}${k.createdBy ? ` by ${k.createdBy}` : ""}`],
    ["updated", when(k.updatedAt)],
    ["last used", when(k.lastUsedAt, "never")],
    ["revoked", k.revokedAt ? `${when(k.revokedAt)}${k.revokedBy ? ` by ${k.revokedBy}` : ""}` : null],
    ["revoke reason", k.revokedAt ? (k.revokeReason ?? "-") : null],
  ]);
}

function printSecret(ctx: Ctx, k: KeyWithSecret, headline: string): void {
  const { out } = ctx.print;
  out(headline);
  out();
  out(`    ${k.key}`);
  out();
  out("Store this secret now: it is shown only this once and cannot be recovered (only its hash is kept).");
  if (k.previousSecretExpiresAt) out(`The previous secret keeps working until ${when(k.previousSecretExpiresAt)}.`);
  out();
  for (const line of keyBlock(k)) out(line);
}

function rawOut(ctx: Ctx, raw: string): number {
  ctx.print.out(raw);
  return 0;
}

export const keysCreate: Command = {
  name: "keys create",
  usage:
    "keys create --name N (--scopes a,b | --permission-set P) [--tenant ID] [--environment live|test] [--expires-at ISO] [--description D]",
  summary: "Create a key and print its secret, once",
  help: [
    "  --name N               unique among the tenant's active keys",
    "  --scopes a,b           comma-separated: jobs:read, jobs:write, jobs:report, query, admin, platform, *",
    "  --permission-set P     instead of --scopes: read_only, ingest_pipeline, origin_reporter, full_access",
    "  --tenant ID            the tenant (ten_…) to create it in (platform keys; default: the caller's)",
    "  --environment E        live (default) or test",
    "  --expires-at ISO       e.g. 2027-01-01T00:00:00Z (default: never)",
    "  --description D        free text",
  ],
  flags: ["name", "scopes", "permission-set", "tenant", "environment", "expires-at", "description"],
  args: [],
  async run(ctx) {
    const cmd = "keys create";
    const { flags } = ctx;
    if ((flags.scopes === undefined) === (flags["permission-set"] === undefined)) {
      throw new UsageError("give exactly one of --scopes or --permission-set", cmd);
    }
    let scopes: string[] | undefined;
    if (flags.scopes !== undefined) {
      scopes = flags.scopes
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      if (scopes.length === 0) throw new UsageError("--scopes needs at least one scope", cmd);
    }
    const body = {
      name: required(ctx, "name", cmd),
      description: flags.description,
      scopes,
      permissionSet: flags["permission-set"],
      tenantId: flags.tenant,
      environment: oneOf(flags.environment, ["live", "test"], "environment", cmd),
      expiresAt: flags["expires-at"],
    };
    const { body: created, raw } = await ctx.api().request<KeyWithSecret>("POST", "/v1/keys", { body });
    if (ctx.json) return rawOut(ctx, raw);
    printSecret(ctx, created, `Created key ${created.id} (${printable(created.name)}) in tenant ${created.tenantId}:`);
    return 0;
  },
};

export const keysList: Command = {
  name: "keys list",
  usage: "keys list [--tenant ID] [--revoked true|false] [--limit N] [--cursor C]",
  summary: "List keys, newest first (never their secrets)",
  help: [
    "  --tenant ID        only this tenant's keys (platform keys see every tenant by default)",
    "  --revoked B        true: only revoked keys; false: only unrevoked ones",
    ...PAGING_HELP,
  ],
  flags: ["tenant", "revoked", "limit", "cursor"],
  args: [],
  async run(ctx) {
    const { flags } = ctx;
    const { body, raw } = await ctx.api().request<Page<Key>>("GET", "/v1/keys", {
      query: {
        tenantId: flags.tenant,
        revoked: oneOf(flags.revoked, ["true", "false"], "revoked", "keys list"),
        limit: flags.limit,
        cursor: flags.cursor,
      },
    });
    if (ctx.json) return rawOut(ctx, raw);
    if (body.data.length === 0) ctx.print.out("No keys.");
    else {
      const rows = body.data.map((k) => [
        k.id,
        k.name,
        k.tenantId,
        k.environment,
        k.scopes.join(","),
        display(k),
        status(k),
        when(k.createdAt),
      ]);
      const headers = ["ID", "NAME", "TENANT", "ENV", "SCOPES", "SECRET", "STATUS", "CREATED"];
      for (const line of table(headers, rows)) ctx.print.out(line);
    }
    if (body.nextCursor) ctx.print.err(`More: keygate keys list --cursor ${body.nextCursor}`);
    return 0;
  },
};

export const keysShow: Command = {
  name: "keys show",
  usage: "keys show ID",
  summary: "Show one key (never its secret)",
  help: [],
  flags: [],
  args: ["ID"],
  async run(ctx) {
    const id = keyId(ctx, "keys show");
    const { body, raw } = await ctx.api().request<Key>("GET", `/v1/keys/${id}`);
    if (ctx.json) return rawOut(ctx, raw);
    for (const line of keyBlock(body)) ctx.print.out(line);
    return 0;
  },
};

export const keysRevoke: Command = {
  name: "keys revoke",
  usage: "keys revoke ID [--reason R]",
  summary: "Revoke a key, permanently",
  help: ["  --reason R         recorded on the key and in the audit log"],
  flags: ["reason"],
  args: ["ID"],
  async run(ctx) {
    const id = keyId(ctx, "keys revoke");
    const reason = ctx.flags.reason;
    if (reason !== undefined && reason.trim() === "") throw new UsageError("--reason must not be empty", "keys revoke");
    const { body, raw } = await ctx.api().request<Key>("POST", `/v1/keys/${id}/revoke`, { body: { reason } });
    if (ctx.json) return rawOut(ctx, raw);
    ctx.print.out(`Revoked key ${body.id} (${printable(body.name)}). This cannot be undone.`);
    ctx.print.out();
    for (const line of keyBlock(body)) ctx.print.out(line);
    return 0;
  },
};

export const keysRoll: Command = {
  name: "keys roll",
  usage: "keys roll ID [--grace-seconds N]",
  summary: "Issue a new secret for a key and print it, once",
  help: [
    "The key keeps its id, scopes and limits; the old secret keeps working for the grace period.",
    "  --grace-seconds N  how long the old secret keeps working: 0 to 604800 (default 86400, one day)",
  ],
  flags: ["grace-seconds"],
  args: ["ID"],
  async run(ctx) {
    const id = keyId(ctx, "keys roll");
    const grace = ctx.flags["grace-seconds"];
    if (grace !== undefined && !/^\d+$/.test(grace)) {
      throw new UsageError(`--grace-seconds must be a whole number of seconds; got '${grace}'`, "keys roll");
    }
    const body = { gracePeriodSeconds: grace === undefined ? undefined : Number(grace) };
    const { body: rolled, raw } = await ctx.api().request<KeyWithSecret>("POST", `/v1/keys/${id}/roll`, { body });
    if (ctx.json) return rawOut(ctx, raw);
    printSecret(ctx, rolled, `Rolled key ${rolled.id} (${printable(rolled.name)}); its new secret:`);
    return 0;
  },
};

// keygate keys create | list | show | update | enable | disable | extend | revoke | roll | delete.
// Only create and roll ever print a secret: the one they just made, once.
import { SCOPES } from "../../src/keys/scopes.ts";
import { UsageError } from "../core/args.ts";
import type { Command, Ctx } from "../core/command.ts";
import { block, printable, rate, table, when } from "../core/output.ts";
import {
  countValue,
  DEFAULT,
  expiryHelp,
  expiryValue,
  idArg,
  ipListValue,
  NONE,
  nonEmpty,
  oneOf,
  rateLimitValue,
  required,
  resourcesValue,
  ruleRows,
  scopeList,
} from "../core/values.ts";
import { PAGING_HELP } from "./tenants.ts";
import type { Key, KeyWithSecret, Page } from "./types.ts";

const keyId = (ctx: Ctx, command: string) => idArg(ctx, "key", command);

export function status(k: Key, now = Date.now()): string {
  if (k.deletedAt) return "deleted";
  if (k.revokedAt) return "revoked";
  if (!k.enabled) return "disabled";
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return "expired";
  return "active";
}

/** What identifies a secret without revealing it: its first characters and last four (none once deleted). */
const display = (k: Key) => (k.start && k.hint ? `${k.start}…${k.hint}` : "-");

export function keyBlock(k: Key): string[] {
  return block([
    ["id", k.id],
    ["name", k.name],
    ["description", k.description],
    ["tenant", k.tenantId],
    ["environment", k.environment],
    ["scopes", k.scopes.join(", ")],
    ["secret", k.start && k.hint ? `${display(k)} (start…last four)` : "erased"],
    ["status", status(k)],
    ["expires", when(k.expiresAt, "never")],
    ["rate limit", rate(k.rateLimit, "tenant's plan")],
    ["monthly quota", k.monthlyQuota === null ? "tenant's plan" : String(k.monthlyQuota)],
    ...ruleRows(k),
    ["created", `${when(k.createdAt)}${k.createdBy ? ` by ${k.createdBy}` : ""}`],
    ["updated", when(k.updatedAt)],
    ["last used", when(k.lastUsedAt, "never")],
    ["revoked", k.revokedAt ? `${when(k.revokedAt)}${k.revokedBy ? ` by ${k.revokedBy}` : ""}` : null],
    ["revoke reason", k.revokedAt ? (k.revokeReason ?? "-") : null],
    ["deleted", k.deletedAt ? `${when(k.deletedAt)}${k.deletedBy ? ` by ${k.deletedBy}` : ""}` : null],
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

/** Help lines for the access-rule flags, descriptions at column `width`; `clear`: update's. */
function ruleHelp(clear: boolean, width: number): string[] {
  const removes = clear ? `; '${NONE}' removes the rule` : "";
  const line = (label: string, text: string) => `${`  ${label}`.padEnd(width)}${text}`;
  return [
    line("--resource R", `TYPE=ID,...: only these ids of each type named (ID* a prefix, * all, TYPE= none); other types: all${removes}`),
    line("--allow-ip L", `CIDR,...: only from these addresses or ranges (IPv4, IPv6); the tenant's rules hold too${removes}`),
    line("--deny-ip L", `CIDR,...: never from these addresses or ranges, whatever an allowlist says${removes}`),
    `${"".padEnd(width)}e.g. --resource 'agent=a_1,agent=a_2,vector_store=vs_*' --allow-ip 10.0.0.0/8,2001:db8::/32`,
  ];
}

function ruleFields(ctx: Ctx, command: string, clear: boolean) {
  const { flags } = ctx;
  return {
    resources: resourcesValue(flags.resource, command, clear),
    allowedIps: ipListValue(flags["allow-ip"], "allow-ip", command, clear),
    deniedIps: ipListValue(flags["deny-ip"], "deny-ip", command, clear),
  };
}

function rawOut(ctx: Ctx, raw: string): number {
  ctx.print.out(raw);
  return 0;
}

export const keysCreate: Command = {
  name: "keys create",
  usage:
    "keys create --name N (--scopes a,b | --permission-set P) [--tenant ID] [--environment live|test] [--expires-at WHEN] [--description D] [--resource TYPE=ID,...] [--allow-ip CIDR,...] [--deny-ip CIDR,...]",
  summary: "Create a key and print its secret, once",
  help: [
    "  --name N               unique among the tenant's active keys",
    `  --scopes a,b           comma-separated: ${SCOPES.join(", ")}`,
    "  --permission-set P     instead of --scopes: read_only, ingest_pipeline, origin_reporter, full_access",
    "  --tenant ID            the tenant (ten_…) to create it in (platform keys; default: the caller's)",
    "  --environment E        live (default) or test",
    ...expiryHelp("--expires-at WHEN", 25, ";"),
    "                         default: never",
    "  --description D        free text",
    ...ruleHelp(false, 25),
    "A permission set's resources apply unless --resource is given.",
  ],
  flags: ["name", "scopes", "permission-set", "tenant", "environment", "expires-at", "description", "resource", "allow-ip", "deny-ip"],
  args: [],
  async run(ctx) {
    const cmd = "keys create";
    const { flags } = ctx;
    if ((flags.scopes === undefined) === (flags["permission-set"] === undefined)) {
      throw new UsageError("give exactly one of --scopes or --permission-set", cmd);
    }
    const scopes = flags.scopes === undefined ? undefined : scopeList(flags.scopes, cmd);
    const body = {
      name: required(ctx, "name", cmd),
      description: flags.description,
      scopes,
      permissionSet: flags["permission-set"],
      tenantId: flags.tenant,
      environment: oneOf(flags.environment, ["live", "test"], "environment", cmd),
      expiresAt: flags["expires-at"] === undefined ? undefined : expiryValue(flags["expires-at"], "expires-at", cmd),
      ...ruleFields(ctx, cmd, false),
    };
    const { body: created, raw } = await ctx.api().request<KeyWithSecret>("POST", "/v1/keys", { body });
    if (ctx.json) return rawOut(ctx, raw);
    printSecret(ctx, created, `Created key ${created.id} (${printable(created.name)}) in tenant ${created.tenantId}:`);
    return 0;
  },
};

export const keysList: Command = {
  name: "keys list",
  usage: "keys list [--tenant ID] [--revoked true|false] [--deleted true|false] [--limit N] [--cursor C]",
  summary: "List keys, newest first (never their secrets)",
  help: [
    "  --tenant ID        only this tenant's keys (platform keys see every tenant by default)",
    "  --revoked B        true: only revoked keys; false: only unrevoked ones",
    "  --deleted B        true: only deleted keys (their tombstones); false or absent: none of them",
    ...PAGING_HELP,
  ],
  flags: ["tenant", "revoked", "deleted", "limit", "cursor"],
  args: [],
  async run(ctx) {
    const { flags } = ctx;
    const { body, raw } = await ctx.api().request<Page<Key>>("GET", "/v1/keys", {
      query: {
        tenantId: flags.tenant,
        revoked: oneOf(flags.revoked, ["true", "false"], "revoked", "keys list"),
        deleted: oneOf(flags.deleted, ["true", "false"], "deleted", "keys list"),
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

const KEY_UPDATE_FLAGS = ["name", "description", "scopes", "rate-limit", "monthly-quota", "expires-at", "resource", "allow-ip", "deny-ip"] as const;

async function patchKey(ctx: Ctx, id: string, body: Record<string, unknown>) {
  return ctx.api().request<Key>("PATCH", `/v1/keys/${id}`, { body });
}

function changed(ctx: Ctx, k: Key, headline: string): number {
  ctx.print.out(headline);
  ctx.print.out();
  for (const line of keyBlock(k)) ctx.print.out(line);
  return 0;
}

export const keysUpdate: Command = {
  name: "keys update",
  usage:
    "keys update ID [--name N] [--description D] [--scopes a,b] [--rate-limit 'R/s, burst B'] [--monthly-quota N] [--expires-at WHEN] [--resource TYPE=ID,...|none] [--allow-ip CIDR,...|none] [--deny-ip CIDR,...|none]",
  summary: "Change a key's name, description, scopes, limits, expiry or access rules",
  help: [
    "Only the flags given change; at least one is needed. The secret stays the same.",
    "  --name N            unique among the tenant's active keys",
    "  --description D     free text; '' clears it",
    "  --scopes a,b        replaces the key's scopes (see keygate keys create --help)",
    `  --rate-limit R      e.g. '10/s, burst 20' (or 10/s,20); '${DEFAULT}': the tenant's plan's`,
    `  --monthly-quota N   requests a calendar month (UTC); '${DEFAULT}': the tenant's plan's`,
    ...expiryHelp("--expires-at WHEN", 22, ";"),
    "                      'never' removes the expiry",
    ...ruleHelp(true, 22),
    "Each rule flag replaces that rule whole. A tenant admin may only set limits at or below the tenant's; a platform key may go above.",
  ],
  flags: [...KEY_UPDATE_FLAGS],
  args: ["ID"],
  async run(ctx) {
    const cmd = "keys update";
    const id = keyId(ctx, cmd);
    const { flags } = ctx;
    const body = {
      name: flags.name === undefined ? undefined : nonEmpty(flags.name, "name", cmd),
      description: flags.description === undefined ? undefined : flags.description.trim() === "" ? null : flags.description,
      scopes: flags.scopes === undefined ? undefined : scopeList(flags.scopes, cmd),
      rateLimit: rateLimitValue(flags["rate-limit"], cmd),
      monthlyQuota: countValue(flags["monthly-quota"], "monthly-quota", cmd),
      expiresAt: flags["expires-at"] === undefined ? undefined : expiryValue(flags["expires-at"], "expires-at", cmd, { never: true }),
      ...ruleFields(ctx, cmd, true),
    };
    if (Object.values(body).every((v) => v === undefined)) {
      throw new UsageError(`nothing to update: give at least one of ${KEY_UPDATE_FLAGS.map((f) => `--${f}`).join(", ")}`, cmd);
    }
    const { body: key, raw } = await patchKey(ctx, id, body);
    if (ctx.json) return rawOut(ctx, raw);
    return changed(ctx, key, `Updated key ${key.id} (${printable(key.name)}).`);
  },
};

function toggle(enabled: boolean): Command {
  const verb = enabled ? "enable" : "disable";
  return {
    name: `keys ${verb}`,
    usage: `keys ${verb} ID`,
    summary: enabled ? "Let a disabled key work again" : "Refuse a key until it is enabled again (unlike revoke, reversible)",
    help: enabled
      ? ["A revoked or deleted key cannot be enabled (409); an expired one stays expired (keys extend)."]
      : ["Requests with the key get 401 until 'keygate keys enable ID'. Its secret, limits and usage stay."],
    flags: [],
    args: ["ID"],
    async run(ctx) {
      const id = keyId(ctx, `keys ${verb}`);
      const { body: key, raw } = await patchKey(ctx, id, { enabled });
      if (ctx.json) return rawOut(ctx, raw);
      const after = enabled ? "" : ` It is refused until 'keygate keys enable ${key.id}'.`;
      return changed(ctx, key, `${enabled ? "Enabled" : "Disabled"} key ${key.id} (${printable(key.name)}).${after}`);
    },
  };
}

export const keysEnable = toggle(true);
export const keysDisable = toggle(false);

export const keysExtend: Command = {
  name: "keys extend",
  usage: "keys extend ID --expires WHEN",
  summary: "Move a key's expiry later (an expired key works again)",
  help: [
    ...expiryHelp("--expires WHEN", 21, ""),
    "Refuses to bring an expiry forward, or to give one to a key that never expires: use",
    "'keygate keys update ID --expires-at WHEN' for those.",
  ],
  flags: ["expires"],
  args: ["ID"],
  async run(ctx) {
    const cmd = "keys extend";
    const id = keyId(ctx, cmd);
    const given = ctx.flags.expires;
    if (given === undefined) throw new UsageError("missing --expires", cmd);
    const expiresAt = expiryValue(given, "expires", cmd)!;
    const { body: before } = await ctx.api().request<Key>("GET", `/v1/keys/${id}`);
    // A revoked or deleted key: the API's 409 says so below.
    if (!before.revokedAt && !before.deletedAt) {
      const instead = `keygate keys update ${id} --expires-at ${given}`;
      if (before.expiresAt === null) {
        throw new UsageError(`key ${id} never expires, so an expiry would shorten its life; to set one anyway: ${instead}`, cmd);
      }
      if (Date.parse(expiresAt) <= Date.parse(before.expiresAt)) {
        throw new UsageError(
          `key ${id} already expires at ${when(before.expiresAt)}, not before ${when(expiresAt)}; to bring its expiry forward: ${instead}`,
          cmd,
        );
      }
    }
    const { body: key, raw } = await patchKey(ctx, id, { expiresAt });
    if (ctx.json) return rawOut(ctx, raw);
    return changed(ctx, key, `Extended key ${key.id} (${printable(key.name)}): it expires at ${when(key.expiresAt)} (was ${when(before.expiresAt, "never")}).`);
  },
};

export const keysDelete: Command = {
  name: "keys delete",
  usage: "keys delete ID --yes",
  summary: "Delete a key: revoke it and erase its secrets, permanently",
  help: [
    "The key stops working at once, as with revoke, and its secrets' hashes are erased. Its record",
    "stays as a tombstone for the audit trail and its usage stays readable; its name is free again.",
    "  --yes              required: deleting cannot be undone",
  ],
  flags: ["yes"],
  args: ["ID"],
  async run(ctx) {
    const cmd = "keys delete";
    const id = keyId(ctx, cmd);
    if (!ctx.flags.yes) {
      throw new UsageError(`deleting key ${id} revokes it and erases its secrets, and cannot be undone; add --yes to go ahead`, cmd);
    }
    const { body: key, raw } = await ctx.api().request<Key>("DELETE", `/v1/keys/${id}`);
    if (ctx.json) return rawOut(ctx, raw);
    return changed(ctx, key, `Deleted key ${key.id} (${printable(key.name)}): it no longer works and its secrets are erased. This cannot be undone.`);
  },
};

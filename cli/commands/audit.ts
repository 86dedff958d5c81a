// keygate audit: the audit trail (GET /v1/audit), newest first, following nextCursor as far as
// --limit or --all asks.
import { UsageError } from "../core/args.ts";
import type { Command } from "../core/command.ts";
import { table, when } from "../core/output.ts";
import { keyIdFlag, tenantIdFlag, wholeNumber } from "../core/values.ts";
import type { AuditEntry, Page } from "./types.ts";

const DEFAULT_LIMIT = 20;
/** The API's largest page. */
const PAGE = 100;
const DETAILS_WIDTH = 80;

function details(d: Record<string, unknown> | null): string {
  if (d === null) return "-";
  const s = JSON.stringify(d);
  return s.length > DETAILS_WIDTH ? `${s.slice(0, DETAILS_WIDTH - 1)}…` : s;
}

/** A value as one shell word, for the "More:" line. */
function word(v: string): string {
  return /^[\w.:/@-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export const audit: Command = {
  name: "audit",
  usage: "audit [--key ID] [--tenant ID] [--action A] [--limit N | --all] [--cursor C]",
  summary: "Who did what to which key or tenant, when and from where, newest first",
  help: [
    "  --key ID           only entries about this key (key_…)",
    "  --tenant ID        only this tenant's trail (platform keys see every tenant's by default)",
    "  --action A         only this action: tenant.create, tenant.update, key.create, key.update,",
    "                     key.roll, key.revoke, key.delete, …",
    `  --limit N          at most N entries (default ${DEFAULT_LIMIT}), fetching as many pages as that takes`,
    "  --all              every matching entry, page after page",
    "  --cursor C         the entries after C (printed when there are more)",
    "DETAILS is cut at 80 characters; --json has every entry whole, as {data, nextCursor}.",
  ],
  flags: ["key", "tenant", "action", "limit", "all", "cursor"],
  args: [],
  async run(ctx) {
    const cmd = "audit";
    const { flags } = ctx;
    if (flags.all && flags.limit !== undefined) throw new UsageError("give --limit or --all, not both", cmd);
    const targetId = keyIdFlag(flags.key, cmd);
    const tenantId = tenantIdFlag(flags.tenant, cmd);
    if (flags.action !== undefined && flags.action.trim() === "") throw new UsageError("--action must not be empty", cmd);
    const want = flags.all ? Infinity : (wholeNumber(flags.limit, "limit", cmd) ?? DEFAULT_LIMIT);

    const api = ctx.api();
    const data: AuditEntry[] = [];
    let cursor = flags.cursor;
    let next: string | null = null;
    do {
      const query = { targetId, tenantId, action: flags.action, cursor, limit: String(Math.min(PAGE, want - data.length)) };
      const { body } = await api.request<Page<AuditEntry>>("GET", "/v1/audit", { query });
      data.push(...body.data);
      // A cursor that does not move would loop forever: stop and report it as the next one.
      const stuck = body.nextCursor !== null && body.nextCursor === cursor;
      next = body.nextCursor;
      cursor = next ?? undefined;
      if (stuck || body.data.length === 0) break;
    } while (next !== null && data.length < want);

    if (ctx.json) {
      ctx.print.out(JSON.stringify({ data, nextCursor: next }));
      return 0;
    }
    if (data.length === 0) ctx.print.out("No audit entries.");
    else {
      const rows = data.map((a) => [
        when(a.at),
        a.action,
        a.targetId,
        a.tenantId,
        a.actorKeyId ?? "-",
        a.ip ?? "-",
        a.requestId ?? "-",
        details(a.details),
      ]);
      for (const line of table(["AT", "ACTION", "TARGET", "TENANT", "ACTOR", "IP", "REQUEST ID", "DETAILS"], rows)) ctx.print.out(line);
    }
    if (next !== null) {
      const again = [
        ...(targetId ? ["--key", targetId] : []),
        ...(tenantId ? ["--tenant", tenantId] : []),
        ...(flags.action !== undefined ? ["--action", word(flags.action)] : []),
        ...(flags.limit !== undefined ? ["--limit", flags.limit] : []),
      ];
      ctx.print.err(`More: keygate audit ${[...again, "--cursor", word(next)].join(" ")}`);
    }
    return 0;
  },
};

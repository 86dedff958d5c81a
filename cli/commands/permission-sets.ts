// keygate permission-sets: the named scope presets `keys create --permission-set` takes.
import type { Command } from "../core/command.ts";
import { table } from "../core/output.ts";
import type { PermissionSet } from "./types.ts";

export const permissionSets: Command = {
  name: "permission-sets",
  usage: "permission-sets",
  summary: "List the permission sets keys create --permission-set takes, with their scopes",
  help: [],
  flags: [],
  args: [],
  async run(ctx) {
    const { body, raw } = await ctx.api().request<{ data: PermissionSet[] }>("GET", "/v1/permission-sets");
    if (ctx.json) {
      ctx.print.out(raw);
      return 0;
    }
    const rows = body.data.map((p) => [p.name, p.scopes.join(","), p.description]);
    for (const line of table(["NAME", "SCOPES", "DESCRIPTION"], rows)) ctx.print.out(line);
    return 0;
  },
};

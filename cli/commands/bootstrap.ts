// keygate bootstrap: the first platform key, written straight into D1 (there is no key yet to
// call the API with). The SQL holds only the key's hash; the secret is printed once and kept nowhere.
import { bootstrapStatements, PLATFORM_SLUG } from "../../src/admin/bootstrap.ts";
import { UsageError } from "../core/args.ts";
import type { Command } from "../core/command.ts";
import type { SqlTarget } from "../core/io.ts";
import { scrub } from "../core/output.ts";

export const DEFAULT_DATABASE = "keygate";

export const bootstrap: Command = {
  name: "bootstrap",
  usage: "bootstrap [--local | --remote] [--database keygate] [--name N] [--persist-to DIR]",
  summary: "Create a platform key directly in D1 (the first key; no gateway or admin key needed)",
  help: [
    "Inserts a platform-scoped key into the 'platform' tenant through `wrangler d1 execute`,",
    "then prints the secret once. Only its SHA-256 hash is stored; nothing secret is written to disk.",
    "Run the D1 migrations first (npm run db:migrate:local, or db:migrate:remote for --remote).",
    "",
    "  --local            the local database used by `npm run dev` (default)",
    "  --remote           the deployed database (needs `wrangler login` or CLOUDFLARE_API_TOKEN)",
    "  --database NAME    D1 database name or binding (default: keygate)",
    "  --name N           the key's name (default: bootstrap-<timestamp>)",
    "  --persist-to DIR   local state directory, as given to `wrangler dev --persist-to` (--local only)",
    "  --json             print {key, keyId, tenant, database, remote} as JSON",
  ],
  flags: ["local", "remote", "database", "name", "persist-to"],
  args: [],
  async run({ io, flags, json, print }) {
    if (flags.local && flags.remote) throw new UsageError("give --local or --remote, not both", "bootstrap");
    const remote = flags.remote === true;
    if (remote && flags["persist-to"] !== undefined) throw new UsageError("--persist-to only applies to --local", "bootstrap");
    if (flags.name !== undefined && flags.name.trim() === "") throw new UsageError("--name must not be empty", "bootstrap");
    const target: SqlTarget = { remote, database: flags.database ?? DEFAULT_DATABASE };
    if (flags["persist-to"] !== undefined) target.persistTo = flags["persist-to"];
    const where = `the ${remote ? "remote" : "local"} D1 database '${target.database}'`;

    const { key, keyId, statements } = await bootstrapStatements(flags.name === undefined ? {} : { name: flags.name.trim() });
    if (!json) print.err(`Creating a platform key in ${where}…`);
    try {
      await io.runSql(statements, target);
    } catch (err) {
      print.err(`keygate: bootstrap failed: ${scrub(err instanceof Error ? err.message : String(err))}`);
      print.err(
        `Have the migrations been applied? Try: npm run db:migrate:${remote ? "remote" : "local"}` +
          (target.persistTo ? ` -- --persist-to ${target.persistTo}` : ""),
      );
      return 1;
    }

    if (json) {
      print.out(JSON.stringify({ key, keyId, tenant: PLATFORM_SLUG, database: target.database, remote }, null, 2));
      return 0;
    }
    print.out(`Created platform key ${keyId} in ${where}.`);
    print.out();
    print.out(`    ${key}`);
    print.out();
    print.out("Store it now (password manager or secret store): it is shown only this once, and only its hash is kept.");
    print.out("Anyone holding it can manage every tenant and key.");
    print.out();
    print.out("To use it without it landing in your shell history, paste it at this prompt (input is hidden):");
    print.out("    read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY");
    print.out(`    npx keygate tenants list${remote ? " --url https://<your-worker>.workers.dev" : ""}`);
    return 0;
  },
};

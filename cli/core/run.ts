// The CLI's entry point, free of Node: parse argv, pick the command, map failures to exit codes.
//   0 ok · 1 API error (4xx/5xx) or failed bootstrap · 2 usage error · 3 gateway unreachable
import { bootstrap } from "../commands/bootstrap.ts";
import { analytics, analyticsOffenders } from "../commands/analytics.ts";
import { audit } from "../commands/audit.ts";
import {
  keysCreate,
  keysDelete,
  keysDisable,
  keysEnable,
  keysExtend,
  keysList,
  keysRevoke,
  keysRoll,
  keysShow,
  keysUpdate,
} from "../commands/keys.ts";
import { alertsCreate, alertsDelete, alertsEvents, alertsList, alertsRotateSecret, alertsShow, alertsUpdate } from "../commands/alerts.ts";
import { operatorsAdd, operatorsList, operatorsRemove, operatorsShow, operatorsUpdate } from "../commands/operators.ts";
import { permissionSets } from "../commands/permission-sets.ts";
import { tenantsCreate, tenantsList, tenantsShow, tenantsUpdate } from "../commands/tenants.ts";
import { usage as usageCommand } from "../commands/usage.ts";
import { ApiClient, ApiError, ConfigError, gatewayUrl, UnreachableError } from "./api.ts";
import { parseArgs, UsageError, type FlagName, type ParsedArgs } from "./args.ts";
import type { Command, Ctx } from "./command.ts";
import type { Io } from "./io.ts";
import { printable, printer, scrub, type Printer } from "./output.ts";
import { KEY_LIKE } from "../../src/core/redact.ts";

export type { Io, SqlTarget } from "./io.ts";

export const EXIT = { ok: 0, api: 1, usage: 2, unreachable: 3 } as const;

export const COMMANDS: Command[] = [
  bootstrap,
  tenantsCreate,
  tenantsList,
  tenantsShow,
  tenantsUpdate,
  keysCreate,
  keysList,
  keysShow,
  keysUpdate,
  keysEnable,
  keysDisable,
  keysExtend,
  keysRevoke,
  keysRoll,
  keysDelete,
  usageCommand,
  analytics,
  analyticsOffenders,
  audit,
  alertsCreate,
  alertsList,
  alertsShow,
  alertsUpdate,
  alertsDelete,
  alertsEvents,
  alertsRotateSecret,
  operatorsAdd,
  operatorsList,
  operatorsShow,
  operatorsUpdate,
  operatorsRemove,
  permissionSets,
];

/** Flags every command takes. */
const GLOBAL: FlagName[] = ["help", "json", "url"];

const GROUPS: Record<string, string> = {
  tenants: "Manage tenants (platform keys only)",
  keys: "Manage API keys",
  alerts: "Manage alert rules and their signed webhooks",
  operators: "Manage the people who sign in to the console, and their roles",
};

function mainHelp(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "keygate: operate a keygate API-key gateway",
    "",
    "Usage: keygate <command> [flags]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help [command]".padEnd(width)}  Show help for a command`,
    "",
    ...ENVIRONMENT_HELP,
  ];
}

const ENVIRONMENT_HELP = [
  "Flags for every command:",
  "  --url URL     the gateway (default: $KEYGATE_URL, else http://127.0.0.1:8787)",
  "  --json        print the API's raw JSON response (errors: the problem JSON on stdout too)",
  "  --help, -h    help for the command",
  "",
  "Environment:",
  "  KEYGATE_ADMIN_KEY   the admin or platform key to call the API with. It is read from the",
  "                      environment only: there is no flag for it, because command lines end up in",
  "                      shell history and process lists. Set it without echoing or recording it:",
  "                        read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY",
  "  KEYGATE_URL         the gateway URL, if --url is not given",
  "",
  "Exit codes: 0 ok, 1 API error (4xx/5xx), 2 usage error, 3 cannot reach the gateway.",
];

const BOOTSTRAP_FOOTER = [
  "  --help, -h         this help",
  "",
  "Exit codes: 0 ok, 1 the SQL failed (e.g. migrations not applied), 2 usage error.",
];

function commandHelp(c: Command): string[] {
  return [
    `Usage: keygate ${c.usage}`,
    "",
    c.summary + ".",
    ...(c.help.length ? ["", ...c.help] : []),
    "",
    ...(c.name === "bootstrap" ? BOOTSTRAP_FOOTER : ENVIRONMENT_HELP),
  ];
}

function groupHelp(group: string): string[] {
  const cmds = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [
    `${GROUPS[group]}.`,
    "",
    "Usage:",
    ...cmds.map((c) => `  keygate ${c.usage}`),
    "",
    `Run 'keygate ${group} <command> --help' for details.`,
  ];
}

/** Finds the command named by the leading words; returns it with the words after its name. */
function resolve(words: string[]): { command?: Command; group?: string; rest: string[] } {
  const [first, second] = words;
  if (first === undefined) return { rest: [] };
  // A command may also head others ("analytics" and "analytics offenders"): the longer name wins.
  const longer = second === undefined ? undefined : COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (longer && !(first in GROUPS)) return { command: longer, rest: words.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { command: one, rest: words.slice(1) };
  if (first in GROUPS) {
    const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (two) return { command: two, group: first, rest: words.slice(2) };
    return { group: first, rest: words.slice(1) };
  }
  return { rest: words };
}

export async function run(argv: string[], io: Io): Promise<number> {
  const print: Printer = printer(io.stdout, io.stderr);
  const lines = (ls: string[], to: (line?: string) => void = print.out) => ls.forEach((l) => to(l));
  const usage = (message: string, command?: string) => {
    print.err(`keygate: ${scrub(message)}`);
    print.err(`Run 'keygate ${command ? `${command} ` : ""}--help' for usage.`);
    return EXIT.usage;
  };

  // A secret pasted as an argument is already in the shell history; at least do not send or echo it.
  if (argv.some((a) => a.match(KEY_LIKE))) {
    return usage(
      "an argument looks like an API key secret. Never pass keys on the command line (shell history, process " +
        "lists): the CLI reads the admin key from KEYGATE_ADMIN_KEY only. If this key was real, consider rolling it.",
    );
  }

  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
  const { words, flags } = parsed;

  // keygate help [words…] is keygate [words…] --help.
  let wantHelp = flags.help === true;
  let target = words;
  if (words[0] === "help") {
    wantHelp = true;
    target = words.slice(1);
  }
  const { command, group, rest } = resolve(target);

  if (!command) {
    // Bare `keygate` or `keygate keys`: the help, on stderr, as a usage error.
    if (group && rest.length === 0) {
      lines(groupHelp(group), wantHelp ? print.out : print.err);
      return wantHelp ? EXIT.ok : EXIT.usage;
    }
    if (target.length === 0) {
      lines(mainHelp(), wantHelp ? print.out : print.err);
      return wantHelp ? EXIT.ok : EXIT.usage;
    }
    return group
      ? usage(`unknown command '${group} ${rest[0]}'`, group)
      : usage(`unknown command '${target[0]}'`);
  }
  if (wantHelp) {
    lines(commandHelp(command));
    return EXIT.ok;
  }

  for (const name of Object.keys(flags) as FlagName[]) {
    // --key names a key (usage, audit); anywhere else it is someone reaching for the admin key.
    if (name === "key" && !command.flags.includes(name)) {
      return usage(
        `'${command.name}' takes no --key (--key names a key's id, for usage and audit). The admin key is read from the ` +
          "KEYGATE_ADMIN_KEY environment variable only, because command lines end up in shell history and process lists",
        command.name,
      );
    }
    if (!GLOBAL.includes(name) && !command.flags.includes(name)) {
      return usage(`'${command.name}' does not take --${name}`, command.name);
    }
  }
  if (rest.length < command.args.length) {
    return usage(`missing ${command.args.slice(rest.length).join(" ")}`, command.name);
  }
  if (rest.length > command.args.length) return usage(`unexpected argument '${rest[command.args.length]}'`, command.name);

  const json = flags.json === true;
  let client: ApiClient | undefined;
  const ctx: Ctx = {
    io,
    flags,
    args: rest,
    json,
    print,
    api() {
      if (client) return client;
      const url = gatewayUrl(flags.url, io.env);
      if (typeof url === "string") throw new UsageError(url, command.name);
      const key = io.env.KEYGATE_ADMIN_KEY?.trim();
      if (!key) {
        throw new ConfigError(
          "KEYGATE_ADMIN_KEY is not set. Export an admin or platform key first, without putting it in your " +
            "shell history:\n  read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY\n" +
            "(No key yet? Create the first one with 'keygate bootstrap'.)",
        );
      }
      client = new ApiClient(url, key, io.fetch);
      if (client.insecure) print.err(`keygate: warning: sending the admin key over plain http to ${client.base}; use https.`);
      return client;
    },
  };
  if (command.name === "bootstrap" && flags.url !== undefined) {
    return usage("bootstrap writes to D1 directly and takes no --url", command.name);
  }

  try {
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message, err.command ?? command.name);
    if (err instanceof ConfigError) {
      print.err(`keygate: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof UnreachableError) {
      print.err(`keygate: cannot reach the gateway at ${err.url}: ${scrub(err.message)}`);
      print.err("Is it running (npm run dev)? Point the CLI elsewhere with --url or KEYGATE_URL.");
      return EXIT.unreachable;
    }
    if (err instanceof ApiError) {
      const p = err.problem;
      // Each field whole, line breaks included: an answer cannot add lines that look like ours.
      const field = (s: unknown) => printable(scrub(String(s)));
      if (json && err.raw) print.out(scrub(err.raw));
      print.err(`keygate: ${err.status} ${field(p.title ?? "Error")}${p.detail && p.detail !== p.title ? `: ${field(p.detail)}` : ""}`);
      if (Array.isArray(p.errors)) {
        for (const e of p.errors) print.err(`  ${field(e.path)}: ${field(e.message)}`);
      }
      if (p.type) print.err(`  type: ${field(p.type)}`);
      print.err(`  request id: ${err.requestId ? field(err.requestId) : "(none)"}`);
      return EXIT.api;
    }
    throw err;
  }
}

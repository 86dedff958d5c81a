// A small, strict argv parser: every flag must be known, string flags need a value, and nothing
// may be given twice. Flags can come anywhere (before or after the command words).

export class UsageError extends Error {
  /** The command whose help the message should point to, e.g. "keys create". */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

export type FlagKind = "string" | "boolean";

/** Every flag the CLI knows, with whether it takes a value. Which command accepts which is checked later. */
export const FLAGS = {
  help: "boolean",
  json: "boolean",
  url: "string",
  local: "boolean",
  remote: "boolean",
  database: "string",
  name: "string",
  "persist-to": "string",
  slug: "string",
  plan: "string",
  scopes: "string",
  "permission-set": "string",
  tenant: "string",
  environment: "string",
  "expires-at": "string",
  description: "string",
  revoked: "string",
  reason: "string",
  "grace-seconds": "string",
  limit: "string",
  cursor: "string",
  all: "boolean",
  active: "boolean",
  inactive: "boolean",
  "rate-limit": "string",
  "tenant-rate-limit": "string",
  deleted: "string",
  "monthly-quota": "string",
  "max-keys": "string",
  email: "string",
  expires: "string",
  yes: "boolean",
  // A key's id (key_…) for usage and audit; never a secret (run() refuses key-shaped arguments,
  // and says where the admin key comes from when a command takes no --key).
  key: "string",
  month: "string",
  from: "string",
  to: "string",
  action: "string",
  // analytics, and a tenant's price
  interval: "string",
  "group-by": "string",
  route: "string",
  outcome: "string",
  "price-per-1k": "string",
  // alert rules
  metric: "string",
  threshold: "string",
  window: "string",
  "webhook-url": "string",
  enabled: "string",
  state: "string",
  // access rules of keys and tenants
  resource: "string",
  "allow-ip": "string",
  "deny-ip": "string",
  // operators (people signing in to the console)
  role: "string",
} as const satisfies Record<string, FlagKind>;

export type FlagName = keyof typeof FLAGS;
export type Flags = { [K in FlagName]?: (typeof FLAGS)[K] extends "boolean" ? boolean : string };

const SHORT: Record<string, FlagName> = { h: "help" };

/** Flags people reach for that must not exist: a secret on the command line ends up in shell history.
 * (--key exists, for a key's id in usage and audit; run() refuses it, saying why, everywhere else.) */
const SECRET_FLAGS = new Set(["admin-key", "api-key", "token", "secret"]);

const SECRET_FLAG_MESSAGE = (name: string) =>
  `there is no --${name} flag: the admin key is read from the KEYGATE_ADMIN_KEY environment variable only, ` +
  "because command lines end up in shell history and process lists";

export type ParsedArgs = { words: string[]; flags: Flags };

function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  const flags: Record<string, string | boolean> = {};
  let onlyWords = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyWords || arg === "-" || !arg.startsWith("-")) {
      words.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyWords = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const short = SHORT[arg.slice(1)];
      if (!short) throw new UsageError(`unknown flag '${arg}'`);
      name = short;
    }
    if (SECRET_FLAGS.has(name)) throw new UsageError(SECRET_FLAG_MESSAGE(name));
    if (!isFlagName(name)) throw new UsageError(`unknown flag '--${name}'`);
    if (Object.hasOwn(flags, name)) throw new UsageError(`--${name} given more than once`);
    if (FLAGS[name] === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    flags[name] = value;
  }
  return { words, flags: flags as Flags };
}

import type { ApiClient } from "./api.ts";
import type { FlagName, Flags } from "./args.ts";
import type { Io } from "./io.ts";
import type { Printer } from "./output.ts";

export type Ctx = {
  io: Io;
  flags: Flags;
  /** Positional arguments after the command words, one per name in Command.args. */
  args: string[];
  json: boolean;
  print: Printer;
  /** The admin API client; throws ConfigError when KEYGATE_ADMIN_KEY is missing. */
  api: () => ApiClient;
};

export type Command = {
  /** The command words, e.g. "keys create". */
  name: string;
  /** One-line synopsis after "keygate". */
  usage: string;
  summary: string;
  /** Further help lines (flag descriptions, examples). */
  help: string[];
  flags: FlagName[];
  /** Names of required positional arguments. */
  args: string[];
  run: (ctx: Ctx) => Promise<number>;
};

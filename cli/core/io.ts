// What the CLI's logic needs from the outside world. cli/main.ts wires the real process; the tests
// wire the Worker's own fetch handler and the test D1. Nothing here may import node: modules.

export type SqlTarget = {
  /** true: the deployed database (`wrangler d1 execute --remote`); false: the local one. */
  remote: boolean;
  /** Database name or binding, as `wrangler d1 execute` takes it. */
  database: string;
  /** Local persistence directory (`--persist-to`), local targets only. */
  persistTo?: string;
};

export type Io = {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  env: Record<string, string | undefined>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Runs the statements as one unit against the target database; throws with a readable message on failure. */
  runSql: (statements: string[], target: SqlTarget) => Promise<void>;
};

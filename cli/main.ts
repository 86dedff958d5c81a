// The CLI's Node side: real argv, environment, stdout/stderr, fetch, and `wrangler d1 execute`
// for bootstrap. All logic is in cli/core and cli/commands, which the tests run inside workerd.
import { run, type Io } from "./core/run.ts";
import { runSql } from "./wrangler.ts";

// `keygate audit --all | head`: the reader is gone, so stop quietly as other Unix tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

const io: Io = {
  fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(30_000) }),
  env: process.env,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  runSql,
};

try {
  process.exitCode = await run(process.argv.slice(2), io);
} catch (err) {
  process.stderr.write(`keygate: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}

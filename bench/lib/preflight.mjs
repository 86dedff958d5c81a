// What the bench needs before it builds or starts anything: the npm dependencies (npm install),
// wrk (the HTTP load generator, a system package) and Node 22 (the one npm install puts in
// node_modules/.bin). A missing piece stops the script at once with one line on stderr saying what
// to install and how, exit status 1, nothing started. Node builtins only: this module must load on
// a machine where npm install has not run yet, so the entry scripts import it first and everything
// else dynamically after it has passed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const MIN_NODE = 22;
/** What the bench imports or runs from node_modules. */
const DEPENDENCIES = ["wrangler", "miniflare", "esbuild", "workerd"];

/** One line on stderr, exit 1. */
export function stop(line) {
  process.stderr.write(`bench: ${line}\n`);
  process.exit(1);
}

/**
 * `again`: the command the user ran, for "then run … again" (e.g. "npm run bench"). Resolves when
 * everything is there; if this Node is too old but npm install put Node 22 in node_modules/.bin,
 * the script runs again under that one (signals passed on, its exit status ours) and this never
 * resolves.
 */
export async function preflight({ again }) {
  const missing = DEPENDENCIES.filter((name) => !existsSync(path.join(ROOT, "node_modules", name, "package.json")));
  if (missing.length) {
    const what = existsSync(path.join(ROOT, "node_modules")) ? missing.map((m) => `node_modules/${m}`).join(", ") : "node_modules";
    stop(`the npm dependencies are not installed (no ${what}): run "npm install" in ${ROOT}, then run ${again} again.`);
  }

  // wrk -v prints its version and exits 1: only a failure to start it at all means it is missing.
  const wrk = spawnSync("wrk", ["-v"], { stdio: "ignore", timeout: 10_000 });
  if (wrk.error?.code === "ENOENT") {
    stop(`wrk (the HTTP load generator) is not installed — install it with "sudo apt-get install wrk" (Debian/Ubuntu) or "brew install wrk" (macOS), then run ${again} again.`);
  }
  if (wrk.error) stop(`wrk (the HTTP load generator) is on PATH but does not run (${wrk.error.message}); reinstall it ("sudo apt-get install wrk" or "brew install wrk"), then run ${again} again.`);

  const major = Number(process.versions.node.split(".")[0]);
  if (major >= MIN_NODE) return;
  const local = path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node");
  if (!existsSync(local)) {
    stop(`Node ${MIN_NODE} or later is needed (this is Node ${process.version}) and node_modules/.bin has none: run "npm install" in ${ROOT} (it installs Node ${MIN_NODE} there), then run ${again} again.`);
  }
  // Run again under node_modules/.bin/node, with node_modules/.bin first on PATH: what `npm run` does.
  const env = { ...process.env, PATH: `${path.dirname(local)}${path.delimiter}${process.env.PATH ?? ""}` };
  const child = spawn(local, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (err) => stop(`could not start ${local} (${err.message}); run ${again} through npm instead.`));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  return new Promise(() => {});
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0;
}

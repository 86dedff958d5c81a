// Running the project's own wrangler from Node: used by the CLI's bootstrap (cli/main.ts) and by
// `npm run dev` (scripts/dev.mjs). Never prompts, never sends telemetry.
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SqlTarget } from "./core/io.ts";

/** The project root: where wrangler.toml is, and where wrangler keeps its local state (.wrangler/). */
export const ROOT = path.resolve(import.meta.dirname, "..");

/** wrangler's entry script, run with this Node (the project's Node 22), not whatever is on PATH. */
export function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** Environment for wrangler: no telemetry, no error reports, no prompts. Explicit settings win. */
export function wranglerEnv(base: NodeJS.ProcessEnv = process.env, opts: { interactive?: boolean } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    WRANGLER_SEND_METRICS: base.WRANGLER_SEND_METRICS ?? "false",
    WRANGLER_SEND_ERROR_REPORTS: base.WRANGLER_SEND_ERROR_REPORTS ?? "false",
    WRANGLER_NO_SKILLS_UPDATE_PROMPTS: base.WRANGLER_NO_SKILLS_UPDATE_PROMPTS ?? "true",
    // Miniflare otherwise downloads a sample `request.cf` from workers.cloudflare.com on start;
    // local runs use its built-in placeholder instead.
    CLOUDFLARE_CF_FETCH_ENABLED: base.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    // Local dev keeps its own copy of Workers Observability in .wrangler/state, which records every
    // request's full URL whatever wrangler.toml's [observability] says: a key sent in a URL (and
    // refused) would stay on disk. keygate's own log lines are on the console instead.
    X_LOCAL_OBSERVABILITY: base.X_LOCAL_OBSERVABILITY ?? "false",
  };
  // CI=true is what makes wrangler take the default instead of asking (e.g. "apply migrations?").
  if (!opts.interactive) env.CI = base.CI ?? "true";
  return env;
}

export type WranglerRun = { code: number; stdout: string; output: string };

/** Runs wrangler with its output captured: the exit code, stdout alone, and stdout+stderr interleaved. */
export function runWrangler(args: string[], opts: { cwd?: string } = {}): Promise<WranglerRun> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = {
      cwd: opts.cwd ?? ROOT,
      env: { ...wranglerEnv(), NO_COLOR: "1", WRANGLER_HIDE_BANNER: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    };
    const child = spawn(process.execPath, [wranglerBin(), ...args], options);
    let stdout = "";
    let output = "";
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, output }));
  });
}

/** wrangler's error lines ("✘ [ERROR] no such table: tenants"), else the end of its output. */
export function wranglerError(output: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const errors = [...plain.matchAll(/\[ERROR\]\s*(.+)/g)].map((m) => m[1]!.trim());
  if (errors.length) return errors.join("\n");
  return plain.trim().split("\n").slice(-10).join("\n");
}

/** `wrangler d1 execute <db> --local|--remote --file <tmp>`: the CLI's runSql. */
export async function runSql(statements: string[], target: SqlTarget): Promise<void> {
  // The file holds hashes only, never a secret; it is removed either way.
  const dir = await mkdtemp(path.join(tmpdir(), "keygate-"));
  const file = path.join(dir, "statements.sql");
  try {
    await writeFile(file, statements.map((s) => `${s.trim()};\n`).join(""), { mode: 0o600 });
    const args = ["d1", "execute", target.database, target.remote ? "--remote" : "--local", "--file", file, "--yes"];
    if (target.persistTo !== undefined) args.push("--persist-to", path.resolve(target.persistTo));
    const { code, output } = await runWrangler(args);
    if (code !== 0) throw new Error(`wrangler ${args.slice(0, 4).join(" ")}: ${wranglerError(output)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

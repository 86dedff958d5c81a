// Node-side helpers for the first-hour tests (test/node/try-it.*, test/node/cli-npx.*): README's
// "Trying the whole path" block as written, bash to run it, and the PATH a new user has, whose
// `node` is the machine's own (Node 20 on CI), not the project's Node 22 in node_modules/.bin.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** The ```sh block right under "### Trying the whole path" in README.md, exactly. */
export function readmeTryIt(): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split("### Trying the whole path")[1];
  if (section === undefined) throw new Error('README.md has no "### Trying the whole path" section');
  const block = /```sh\n([\s\S]*?)\n```/.exec(section.split("\n### ")[0]!);
  if (!block) throw new Error('README.md: no ```sh block under "Trying the whole path"');
  return block[1]!;
}

/** PATH without the project's node_modules/.bin: what a shell outside npm has. */
export function userPath(): string {
  const projectBin = path.join(ROOT, "node_modules", ".bin");
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir && path.resolve(dir) !== projectBin && !dir.includes(`${path.sep}node_modules${path.sep}`))
    .join(path.delimiter);
}

/** `node --version` as the user's PATH finds it, or undefined when it has none. */
export function userNodeVersion(): string | undefined {
  const r = spawnSync("node", ["--version"], { env: { ...process.env, PATH: userPath() }, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export type Ran = { code: number | null; stdout: string; stderr: string; ms: number };

/** Runs `script` with bash in the project directory (npx keygate needs it), bounded in time. */
export function bash(script: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs} ms`;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Signals a process group this test started (spawned with detached: true), if it is still there. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

// The first hour, for real: `npm run dev` on a free port with a fresh state directory prints a
// platform key and README's "Trying the whole path" block with its own URL; the block, as README
// writes it, run twice with bash and the machine's own node and npx, works both times. Meanwhile
// the dev script runs the cron sweep (here every 2 s instead of every minute), which fails a job stuck
// for hours, and says so once. Everything it started is stopped afterwards, whatever happened.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs helper of the dev script, without types
import { tryItBlock } from "../../scripts/try-it.mjs";
import { bash, freePort, killGroup, readmeTryIt, ROOT, userNodeVersion, userPath } from "../support/try-it.ts";

const START_TIMEOUT_MS = 150_000;
const hasNode = userNodeVersion() !== undefined;

let dev: ChildProcess | undefined;
let state = "";
let base = "";
let out = "";
let err = "";
let platformKey = "";
let spawnError: Error | undefined;

/** Resolves when `pattern` shows up in the dev server's stdout; rejects if it exits or time runs out. */
function waitFor(pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (pattern.test(out)) finish(resolve);
      else if (spawnError) finish(() => reject(new Error(`could not start npm run dev: ${spawnError!.message}`)));
      else if (dev?.exitCode !== null || dev?.signalCode !== null) finish(() => reject(new Error(`npm run dev exited (${dev?.exitCode ?? dev?.signalCode}):\n${out}\n${err}`)));
      else if (Date.now() - started > ms) finish(() => reject(new Error(`no ${pattern} from npm run dev within ${ms} ms:\n${out}\n${err}`)));
    }, 200);
    const finish = (then: () => void) => {
      clearInterval(tick);
      then();
    };
  });
}

/** The platform key (the dev banner's only `kg_live_` secret). */
const keyIn = (text: string) => /^ {4}(kg_live_[0-9A-Za-z]{38})$/m.exec(text)?.[1];

beforeAll(async () => {
  if (!hasNode) return;
  state = await mkdtemp(path.join(tmpdir(), "keygate-try-it-"));
  const [port, demoPort, inspectorPort] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  // As a new user starts it: the machine's npm and node (npm then runs the script on the project's
  // Node 22). Its own process group, so that npm, the dev script, wrangler, workerd and the demo
  // origin all go with one signal.
  dev = spawn("npm", ["run", "dev", "--", "--port", String(port), "--persist-to", state, "--inspector-port", String(inspectorPort)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PATH: userPath(), DEMO_ORIGIN_PORT: String(demoPort), KEYGATE_DEV_SWEEP_SECONDS: "2", NO_COLOR: "1", CI: "true" },
  });
  dev.on("error", (e) => (spawnError = e));
  dev.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  dev.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await waitFor(/Ready on http:\/\/127\.0\.0\.1:\d+/, START_TIMEOUT_MS);
  platformKey = keyIn(out) ?? "";
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (dev?.pid !== undefined && dev.exitCode === null && dev.signalCode === null) {
    const exited = new Promise((resolve) => dev!.once("exit", resolve));
    killGroup(dev.pid, "SIGTERM");
    const late = setTimeout(() => killGroup(dev!.pid, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(late);
  }
  // Anything of the group still around (workerd outliving wrangler) goes too.
  killGroup(dev?.pid, "SIGKILL");
  if (state) await rm(state, { recursive: true, force: true });
}, 30_000);

describe.skipIf(!hasNode)("npm run dev, then README's try-it block", () => {
  it("prints the platform key once and the README block with its own URL on every line", () => {
    expect(platformKey, out).toMatch(/^kg_live_/);
    expect(out.split(platformKey)).toHaveLength(2);
    // README's block is the script's, with README's URL line...
    const readme = readmeTryIt();
    expect(readme).toBe(tryItBlock());
    expect(readme.split("\n")[0]).toBe("export KEYGATE_URL=${KEYGATE_URL:-http://127.0.0.1:8787}");
    // ...and the banner prints it with this server's URL, every other line the same.
    const banner = tryItBlock(base)
      .split("\n")
      .map((line: string) => `    ${line}`)
      .join("\n");
    expect(out).toContain(banner);
    expect(banner.split("\n")[0]).toBe(`    export KEYGATE_URL=${base}`);
    // The first run's CLI lines name this server too.
    for (const line of out.split("\n").filter((l) => l.trimStart().startsWith("npx keygate "))) expect(line).toContain(`--url ${base}`);
    expect(err).not.toMatch(/EBADENGINE/);
  });

  it("the block, as README writes it, works twice in a row", async () => {
    const env = { ...process.env, PATH: userPath(), KEYGATE_URL: base, KEYGATE_ADMIN_KEY: platformKey };
    const tenants: string[] = [];
    for (const run of ["first", "second"]) {
      const r = await bash(readmeTryIt(), env, 120_000);
      expect(r.code, `${run} run (${r.ms} ms):\n${r.stdout}\n${r.stderr}`).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines, r.stdout).toHaveLength(3);
      expect(["running", "completed"], r.stdout).toContain(lines[0]);
      expect(JSON.parse(lines[1]!)).toEqual(expect.arrayContaining([expect.objectContaining({ events: expect.any(Number) })]));
      const done = /^The whole path works: tenant (ten_\w+), job (job_\w+)\.$/.exec(lines[2]!);
      expect(done, r.stdout).not.toBeNull();
      tenants.push(done![1]!);
      expect(r.stderr, run).not.toMatch(/Stopped:|EBADENGINE|curl:/);
    }
    expect(new Set(tenants).size).toBe(2);
  }, 280_000);

  it("runs the cron sweep while it runs: a job stuck for hours is failed, and it says so once", async () => {
    // A job of the platform tenant whose origin went quiet long ago, written as D1 has it.
    const me: any = await (await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${platformKey}` } })).json();
    const id = `job_${Date.now().toString(36).padStart(10, "0")}stuck`;
    const insert = `INSERT INTO jobs (id, tenant_id, key_id, route, source, status, created_at, updated_at) VALUES ('${id}', '${me.tenant.id}', '${me.key.id}', 'ingest', 'stuck.csv', 'pending', 1000, 1000)`;
    const wrangler = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
    const sql = await bash(`"${process.execPath}" "${wrangler}" d1 execute DB --local --persist-to "${state}" --command "${insert}"`, { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, 60_000);
    expect(sql.code, sql.stdout + sql.stderr).toBe(0);
    let job: any;
    for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((r) => setTimeout(r, 500))) {
      job = await (await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${platformKey}` } })).json();
      if (job.status === "failed") break;
    }
    expect(job).toMatchObject({ id, status: "failed", error: expect.stringMatching(/^timed out: no report from the origin/) });
    expect(out + err).toContain('"event":"jobs.timed_out"');
    // Quiet: one line for its first run however often it ran since, none from wrangler per call.
    expect(out.match(/ran the cron sweep/g)).toHaveLength(1);
    expect(out + err).not.toMatch(/cdn-cgi\/local\/scheduled 200|the cron sweep failed/);
    // wrangler's note that crons do not run locally is left out, since here they do.
    expect(out + err).not.toContain("Scheduled Workers are not automatically triggered");
  }, 90_000);
});

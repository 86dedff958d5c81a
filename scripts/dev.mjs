#!/usr/bin/env node
// `npm run dev`: the whole gateway on this machine, on workerd with a local D1, KV and Durable
// Objects, plus a demo origin (scripts/demo-origin.mjs) that verifies keygate's signatures.
//   0. on the first run, writes .dev.vars with a fresh Ed25519 signing key (local only);
//   1. applies the D1 migrations to the local database;
//   2. on the first run, creates a platform key and prints it once (it is saved nowhere), with
//      commands to try; later runs only say that one exists;
//   3. starts the demo origin on port 8788 with a fresh jobs:report key of its own, and points
//      ORIGIN_INGEST_URL / ORIGIN_QUERY_URL / ORIGIN_REALTIME_URL at it unless .dev.vars sets them;
//   4. runs `wrangler dev --local` in the foreground (port 8787) until you stop it;
//   5. meanwhile runs the cron trigger's work every minute, as the cron trigger would when deployed
//      (wrangler dev runs no cron triggers by itself): the sweep, and alert rules evaluated with
//      their webhooks delivered. Quiet, except its first run and failures.
// Extra arguments go to `wrangler dev`: npm run dev -- --port 9000 --persist-to ./state
// KEYGATE_DEV_SWEEP_SECONDS changes the cron's period (the tests use a few seconds; 0 turns it off).
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`npm run dev needs Node >= 22.18 (found ${process.versions.node}); the project's devDependency provides it. Run npm install.`);
  process.exit(1);
}

const { spawn } = await import("node:child_process");
const { constants } = await import("node:os");
const { ROOT, runSql, runWrangler, wranglerBin, wranglerEnv, wranglerError } = await import("../cli/wrangler.ts");
const { run } = await import("../cli/core/run.ts");
const { tryItBlock } = await import("./try-it.mjs");

const extra = process.argv.slice(2);
if (extra.some((a) => a === "--remote" || a === "-r" || a.startsWith("--remote="))) {
  console.error("npm run dev is local only. For a remote preview use: npx wrangler dev --remote");
  process.exit(2);
}

/**
 * The value of --name VALUE or --name=VALUE among the extra arguments.
 * @param {string} name
 */
function option(name) {
  for (const [i, arg] of extra.entries()) {
    if (arg === `--${name}`) return extra[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

const port = option("port") ?? "8787";
const ip = option("ip") ?? "127.0.0.1";
const persistTo = option("persist-to");
const persist = persistTo === undefined ? [] : ["--persist-to", persistTo];
const base = `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
const DEFAULT_URL = "http://127.0.0.1:8787";
const say = (line = "") => process.stdout.write(`${line}\n`);

// The cron's period (wrangler.toml: "* * * * *"); KEYGATE_DEV_SWEEP_SECONDS=0 turns it off.
const CRON = "* * * * *";
const sweepSetting = process.env.KEYGATE_DEV_SWEEP_SECONDS;
const sweepSeconds = sweepSetting === undefined || sweepSetting === "" ? 60 : Number(sweepSetting);
if (!Number.isFinite(sweepSeconds) || sweepSeconds < 0) {
  console.error(`keygate dev: KEYGATE_DEV_SWEEP_SECONDS must be a number of seconds (0: off), not ${JSON.stringify(sweepSetting)}`);
  process.exit(2);
}
const every = sweepSeconds === 60 ? "minute" : sweepSeconds % 60 === 0 ? `${sweepSeconds / 60} minutes` : `${sweepSeconds} s`;
const sweepUrl = `${base}/cdn-cgi/local/scheduled`;

/**
 * Runs wrangler with captured output; on failure prints its error and exits.
 * @param {string[]} args
 * @param {string} what
 */
async function wrangler(args, what) {
  const r = await runWrangler(args);
  if (r.code !== 0) {
    console.error(`keygate dev: ${what} failed: ${wranglerError(r.output)}`);
    process.exit(1);
  }
  return r;
}

// 0. A signing key for forwarded requests, in .dev.vars (git-ignored), made once.
const { existsSync, readFileSync, appendFileSync } = await import("node:fs");
const path = await import("node:path");
const devVarsPath = path.join(ROOT, ".dev.vars");
const devVars = existsSync(devVarsPath) ? readFileSync(devVarsPath, "utf8") : "";
const hasVar = (/** @type {string} */ name) => new RegExp(`^\\s*${name}\\s*=\\s*\\S`, "m").test(devVars);
if (!hasVar("SIGNING_KEY")) {
  const { devVarsLine } = await import("./gen-signing-key.mjs");
  appendFileSync(devVarsPath, `${devVars && !devVars.endsWith("\n") ? "\n" : ""}# Written by npm run dev: the local signing key (never deploy it).\n${await devVarsLine()}\n`);
  say("keygate dev: wrote a fresh signing key to .dev.vars");
}

// 1. Migrations (non-interactive: CI=true makes wrangler apply without asking).
say("keygate dev: applying D1 migrations to the local database…");
const migrated = await wrangler(["d1", "migrations", "apply", "DB", "--local", ...persist], "applying migrations");
// wrangler prints a table of what it applied: "│ 0000_init.sql │ ✅ │".
const applied = [...new Set([...migrated.output.matchAll(/│[ \t]*(\S+\.sql)[ \t]*│[ \t]*✅/g)].map((m) => m[1]))];
say(applied.length ? `keygate dev: applied ${applied.join(", ")}` : "keygate dev: migrations are up to date");

// 2. A usable platform key? (unrevoked, enabled, unexpired, with platform or * scope)
const query = `SELECT count(*) AS n FROM api_keys k
  WHERE k.revoked_at IS NULL AND k.enabled = 1 AND (k.expires_at IS NULL OR k.expires_at > ${Date.now()})
    AND EXISTS (SELECT 1 FROM json_each(k.scopes) WHERE value IN ('platform', '*'))`;
const counted = await wrangler(["d1", "execute", "DB", "--local", ...persist, "--json", "--command", query], "looking for a platform key");
const platformKeys = JSON.parse(counted.stdout)[0].results[0].n;
const keygate = `npx keygate bootstrap${persistTo === undefined ? "" : ` --persist-to ${persistTo}`}`;
const rule = "─".repeat(78);

if (platformKeys > 0) {
  say(`keygate dev: a platform key already exists in the local D1 (its secret was shown once, when it was made,`);
  say(`             and is not stored anywhere). Lost it? Make another with: ${keygate}`);
} else {
  let stdout = "";
  let stderr = "";
  const code = await run(["bootstrap", "--json", "--local", ...persist, "--name", `dev-${new Date().toISOString()}`], {
    fetch,
    env: process.env,
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    runSql,
  });
  if (code !== 0) {
    process.stderr.write(stderr);
    process.exit(1);
  }
  const { key, keyId } = JSON.parse(stdout);
  const auth = `-H "Authorization: Bearer $KEYGATE_ADMIN_KEY"`;
  const json = `-H 'Content-Type: application/json'`;
  say();
  say(rule);
  say(`First run: created platform key ${keyId} in the local D1. Its secret, shown only this once:`);
  say();
  say(`    ${key}`);
  say();
  say("It is not saved anywhere (only its hash is in D1). To use it in another terminal, paste it here");
  say("(input is hidden, and nothing lands in your shell history):");
  say("    read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY");
  say();
  say("Then, once the server below is ready:");
  say(`    curl -s ${base}/v1/auth/me ${auth}`);
  say(`    curl -s ${base}/v1/tenants ${auth} ${json} -d '{"name":"Acme","slug":"acme","plan":"pro"}'`);
  say(`    curl -s ${base}/v1/keys ${auth} ${json} -d '{"name":"reader","scopes":["jobs:read","query","realtime","mcp"],"tenantId":"ten_…"}'`);
  say("or the same with the CLI:");
  const url = base === DEFAULT_URL ? "" : ` --url ${base}`;
  say(`    npx keygate tenants create --name Acme --slug acme --plan pro${url}`);
  say(`    npx keygate keys create --name reader --scopes jobs:read,query,realtime,mcp --tenant ten_…${url}`);
  say(`    npx keygate keys list${url}`);
  say(rule);
  say();
}

// 3. The demo origin, with a reporter key of its own (made each run, handed over only in its
//    environment), unless .dev.vars points every origin it stands in for elsewhere.
const demoPort = process.env.DEMO_ORIGIN_PORT ?? "8788";
const demoUrl = `http://127.0.0.1:${demoPort}`;
const DEMO_ORIGINS = ["ORIGIN_INGEST_URL", "ORIGIN_QUERY_URL", "ORIGIN_REALTIME_URL"];
const overridden = DEMO_ORIGINS.filter(hasVar);
/** @type {import("node:child_process").ChildProcess | undefined} */
let demo;
if (overridden.length < DEMO_ORIGINS.length) {
  const { bootstrapStatements } = await import("../src/admin/bootstrap.ts");
  const reporter = await bootstrapStatements({
    name: `demo-origin-${new Date().toISOString()}`,
    scopes: ["jobs:report"],
    description: "The demo origin's key for job reports (npm run dev)",
  });
  // Earlier runs' reporter keys are revoked: only the running demo origin holds a live one.
  const retire = `UPDATE api_keys SET revoked_at = ${Date.now()}, revoked_by = 'npm run dev', revoke_reason = 'replaced by a newer npm run dev', updated_at = ${Date.now()}
    WHERE name LIKE 'demo-origin-%' AND revoked_at IS NULL`;
  await runSql([retire, ...reporter.statements], { remote: false, database: "DB", persistTo });
  demo = spawn(process.execPath, [path.join(ROOT, "scripts/demo-origin.mjs")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, DEMO_ORIGIN_PORT: demoPort, KEYGATE_URL: base, KEYGATE_REPORTER_KEY: reporter.key },
  });
  say(`keygate dev: demo origin on ${demoUrl} (query + ingest + realtime); ${overridden.length ? `${overridden.join(", ")} from .dev.vars` : "all three origins point at it"}`);
}
say();
say("Try the whole path, in bash or zsh, with KEYGATE_ADMIN_KEY set to the platform key (see above):");
for (const line of tryItBlock(base).split("\n")) say(`    ${line}`);
say("It stops at the first step that fails, saying why, and can run again (each run makes a new tenant).");
say();
say(`keygate dev: the console is at ${base}/console (sign in with the platform key or a tenant's admin key),`);
say(`             the API reference at ${base}/docs,`);
say(`             and MCP for AI agents at ${base}/v1/mcp (a key with scope mcp; its query and ingest tools: README "MCP")`);
say();

say(
  sweepSeconds > 0
    ? `keygate dev: the cron sweep (evaluates alert rules and sends their webhooks, fails jobs stuck past JOB_STUCK_AFTER_SECONDS) runs every ${every} while this runs; to run it now: curl -s ${sweepUrl}`
    : `keygate dev: the cron sweep is off (KEYGATE_DEV_SWEEP_SECONDS=0); run it with: curl -s ${sweepUrl}`,
);
say();

// 4. The server, in the foreground. Signals go to wrangler; we exit with its status.
const args = ["dev", "--local"];
if (option("port") === undefined) args.push("--port", port);
if (option("ip") === undefined) args.push("--ip", ip);
for (const name of DEMO_ORIGINS) if (demo && !hasVar(name)) args.push("--var", `${name}:${demoUrl}`);
// wrangler.toml says "production" (the safe default for a deploy); locally, webhooks may go to 127.0.0.1.
if (!hasVar("ENVIRONMENT")) args.push("--var", "ENVIRONMENT:development");
// Locally every request's access-log line is worth seeing; production logs failures and a sample.
if (!hasVar("ACCESS_LOG_SUCCESS_SAMPLE")) args.push("--var", "ACCESS_LOG_SUCCESS_SAMPLE:1");
// wrangler dev prints every request's raw URL, and a request keygate refuses for a key in its
// URL still has it there: its output passes through the same redaction as keygate's own logs.
const child = spawn(process.execPath, [wranglerBin(), ...args, ...extra], {
  cwd: ROOT,
  stdio: ["inherit", "pipe", "pipe"],
  env: wranglerEnv(process.env, { interactive: true }),
});
const { redactLine } = await import("./redact-output.mjs");
let serverReady = false;
// wrangler's note that cron triggers do not run locally is not true here (5. below runs them): its
// lines are left out, and only they (the note, its curl hint, its link, blank lines between).
const NOTE_START = /Scheduled Workers are not automatically triggered/;
const NOTE_REST = /^$|manually trigger a scheduled event|cdn-cgi\/local\/scheduled|cron-triggers/;
for (const [from, to] of /** @type {const} */ ([[child.stdout, process.stdout], [child.stderr, process.stderr]])) {
  let rest = "";
  let inNote = false;
  /** @param {string} line */
  const pass = (line) => {
    // eslint-disable-next-line no-control-regex
    const plain = line.replace(/\x1b\[[0-9;]*m/g, "").trim();
    if (/Ready on http/.test(plain)) serverReady = true;
    if (sweepSeconds > 0 && NOTE_START.test(plain)) inNote = true;
    else if (inNote && !NOTE_REST.test(plain)) inNote = false;
    if (!inNote) to.write(redactLine(line) + "\n");
  };
  from.setEncoding("utf8");
  from.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) pass(line);
  });
  from.on("end", () => rest && pass(rest));
}

// 5. The cron sweep, which wrangler dev does not run by itself: the Worker's scheduled handler
//    (the job sweep, and alert evaluation and webhook delivery) through wrangler's local endpoint,
//    on the clock's minute marks like the cron. Quiet: one line the first time it runs, one when it
//    starts failing and one when it works again; wrangler does not log these calls, and the handler
//    itself logs only the jobs it fails and the alerts it fires, resolves or cannot deliver.
if (sweepSeconds > 0) {
  const periodMs = sweepSeconds * 1000;
  let state = /** @type {"never" | "ok" | "failing"} */ ("never");
  const sweep = async () => {
    if (!serverReady) return;
    try {
      const res = await fetch(`${sweepUrl}?cron=${encodeURIComponent(CRON)}`, { signal: AbortSignal.timeout(30_000) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (state === "never") say(`keygate dev: ran the cron sweep; it runs every ${every}, silently unless it fails`);
      else if (state === "failing") say("keygate dev: the cron sweep works again");
      state = "ok";
    } catch (err) {
      if (state !== "failing") say(`keygate dev: the cron sweep failed (${err instanceof Error ? err.message : String(err)}); trying again every ${every}`);
      state = "failing";
    }
  };
  setTimeout(() => {
    void sweep();
    setInterval(() => void sweep(), periodMs).unref();
  }, periodMs - (Date.now() % periodMs)).unref();
}
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
  process.on(signal, () => {
    demo?.kill(signal);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("error", (err) => {
  console.error(`keygate dev: could not start wrangler: ${err.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  demo?.kill();
  process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
});

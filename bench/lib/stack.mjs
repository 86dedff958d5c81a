// Building and serving what the benchmark measures: wrangler's bundle of keygate and the bench's
// own small Workers, on one workerd process started by Miniflare, each Worker on its own direct
// loopback socket (no Miniflare entry Worker, no Node proxy in the request path), plus the origin
// as a separate Node process.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { build as esbuild } from "esbuild";
import { unstable_readConfig } from "wrangler";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BENCH = path.join(ROOT, "bench");
export const BUILD = path.join(BENCH, ".build");
const bin = (name) => path.join(ROOT, "node_modules/.bin", name);

/** wrangler deploy --dry-run (the bundle that would be uploaded), then the bench Workers with esbuild. */
export async function buildAll() {
  rmSync(BUILD, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  const r = spawnSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", path.join(BUILD, "keygate")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  const size = /Total Upload: ([^\n]+)/.exec(r.stdout)?.[1]?.trim() ?? "?";
  await esbuild({
    entryPoints: {
      passthrough: path.join(BENCH, "passthrough.ts"),
      "signing-passthrough": path.join(BENCH, "workers/signing-passthrough.ts"),
      "keygate-main": path.join(BENCH, "workers/keygate-main.ts"),
      "keygate-edge": path.join(BENCH, "workers/keygate-edge.ts"),
    },
    outdir: BUILD,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    external: ["./keygate/index.js", "cloudflare:*"],
    logLevel: "warning",
  });
  return { bundleSize: size };
}

/** The origin, in its own process. */
export async function startOrigin() {
  const child = spawn(process.execPath, [path.join(BENCH, "origin.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`origin exited with ${code}`)));
  });
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}` };
}

/** A fresh Ed25519 signing key (a JWK with a kid), as vitest.config.ts makes one per test run. */
export async function signingKey() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return JSON.stringify({ kty: "OKP", crv: "Ed25519", d: jwk.d, x: jwk.x, kid: `bench-${Date.now()}` });
}

export const EDGE_VARIANTS = [
  { delayMs: 0, leases: true },
  { delayMs: 0, leases: false },
  { delayMs: 20, leases: true },
  { delayMs: 20, leases: false },
  { delayMs: 80, leases: true },
  { delayMs: 80, leases: false },
];
export const edgeName = (v) => `edge-${v.delayMs}ms-${v.leases ? "leases" : "noleases"}`;

/**
 * One Miniflare (one workerd process) with:
 *   keygate         the bundle behind bench/workers/keygate-main.ts; owns the KeyLimiter and
 *                   TenantQuota objects (SQLite-backed), D1, KV and the AUTH_FAILURES binding;
 *   keygate-b       the same code in a second isolate, bound to keygate's objects by scriptName;
 *   passthrough     bench/passthrough.ts;
 *   signing-passthrough   bench/workers/signing-passthrough.ts (the pass-through plus a signature);
 *   edge-*          the bundle behind bench/workers/keygate-edge.ts (delayed object calls), one
 *                   Worker per delay and lease setting, bound to keygate's objects;
 *   keygate-mf, passthrough-mf   the same as keygate and passthrough, but with outbound fetches
 *                   through Miniflare's interceptor Worker (no BENCH_ORIGIN / ORIGIN binding).
 * Every Worker but the -mf ones reaches the origin through an `external` service binding, i.e.
 * workerd's own HTTP client (bench/workers/outbound.ts explains why).
 */
export async function startWorkers({ originUrl, inspectorPort }) {
  const config = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });
  const vars = {
    ...config.vars,
    ENVIRONMENT: "bench",
    EXPOSE_STORE_METRICS: "true",
    ORIGIN_QUERY_URL: originUrl,
    ORIGIN_INGEST_URL: originUrl,
    SIGNING_KEY: await signingKey(),
  };
  const ratelimits = Object.fromEntries(
    (config.ratelimits ?? []).map((r) => [r.name, { namespace_id: r.namespace_id, simple: r.simple }]),
  );
  const bundle = { type: "ESModule", path: path.join(BUILD, "keygate/index.js") };
  const objects = (scriptName) =>
    Object.fromEntries(
      config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true, ...(scriptName ? { scriptName } : {}) }]),
    );
  const socket = [{ host: "127.0.0.1", port: 0 }];
  const native = (name) => ({ [name]: { external: { address: new URL(originUrl).host, http: {} } } });
  const keygateWorker = (name, entry, extra) => ({
    name,
    modulesRoot: BUILD,
    modules: [{ type: "ESModule", path: path.join(BUILD, entry) }, bundle],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: vars,
    d1Databases: { DB: "keygate-bench-d1" },
    kvNamespaces: { KEY_CACHE: "keygate-bench-kv" },
    ratelimits,
    serviceBindings: native("BENCH_ORIGIN"),
    unsafeDirectSockets: socket,
    ...extra,
  });
  const passthrough = (name, serviceBindings) => ({
    name,
    modulesRoot: BUILD,
    modules: [{ type: "ESModule", path: path.join(BUILD, "passthrough.js") }],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: { ORIGIN_URL: originUrl },
    serviceBindings,
    unsafeDirectSockets: socket,
  });
  const workers = [
    keygateWorker("keygate", "keygate-main.js", { durableObjects: objects(null) }),
    keygateWorker("keygate-b", "keygate-main.js", { durableObjects: objects("keygate") }),
    keygateWorker("keygate-mf", "keygate-main.js", { durableObjects: objects("keygate"), serviceBindings: {} }),
    passthrough("passthrough", native("ORIGIN")),
    {
      ...passthrough("signing-passthrough", native("ORIGIN")),
      modules: [{ type: "ESModule", path: path.join(BUILD, "signing-passthrough.js") }],
      bindings: { ORIGIN_URL: originUrl, SIGNING_KEY: vars.SIGNING_KEY },
    },
    passthrough("passthrough-mf", {}),
    ...EDGE_VARIANTS.map((v) =>
      keygateWorker(edgeName(v), "keygate-edge.js", {
        durableObjects: objects("keygate"),
        bindings: { ...vars, BENCH_DO_DELAY_MS: String(v.delayMs), BENCH_LEASES: v.leases ? "on" : "off" },
      }),
    ),
  ];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      log: new Log(LogLevel.WARN),
      // keygate writes one JSON access-log line per request; drop them here (in production they go
      // to Workers Logs). workerd still formats and writes them: that cost stays in the numbers.
      handleStructuredLogs: () => {},
      logRequests: false,
      cf: false,
      workers,
    }),
  );
  await mf.ready;
  const urls = {};
  for (const w of workers) urls[w.name] = (await mf.unsafeGetDirectURL(w.name)).href.replace(/\/$/, "");
  const workerdPids = findDescendants(process.pid, "workerd");
  if (workerdPids.length === 0) throw new Error("could not find the workerd process Miniflare started");
  return { mf, urls, workerdPids, compatibilityDate: config.compatibility_date };
}

/** Pids of descendants of `pid` whose command name is `comm`. */
export function findDescendants(pid, comm) {
  const found = [];
  const walk = (p) => {
    let kids = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        kids.push(...readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim() === comm) found.push(k);
      } catch {}
      walk(k);
    }
  };
  walk(pid);
  return [...new Set(found)];
}

/** The schema, straight from migrations/*.sql (drizzle's statement breakpoints), into the bench D1. */
export async function applyMigrations(db) {
  const dir = path.join(ROOT, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of readFileSync(path.join(dir, file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) await db.prepare(statement).run();
    }
  }
}

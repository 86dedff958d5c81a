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
import { failpoint, findDescendants, onEnd, ownSignals, track } from "./lifecycle.mjs";

export { findDescendants };

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BENCH = path.join(ROOT, "bench");
export const BUILD = path.join(BENCH, ".build");

/** wrangler deploy --dry-run (the bundle that would be uploaded), then the bench Workers with esbuild. */
export async function buildAll() {
  rmSync(BUILD, { recursive: true, force: true });
  mkdirSync(BUILD, { recursive: true });
  // wrangler's own script under this Node (22: preflight.mjs), whatever `node` PATH finds first.
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", path.join(BUILD, "keygate")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed${r.error ? ` (${r.error.message})` : ""}:\n${r.stdout}\n${r.stderr}`);
  const size = /Total Upload: ([^\n]+)/.exec(r.stdout)?.[1]?.trim() ?? "?";
  await esbuild({
    entryPoints: {
      passthrough: path.join(BENCH, "passthrough.ts"),
      "signing-passthrough": path.join(BENCH, "workers/signing-passthrough.ts"),
      "keygate-main": path.join(BENCH, "workers/keygate-main.ts"),
      "keygate-loop": path.join(BENCH, "workers/keygate-loop.ts"),
      "keygate-edge": path.join(BENCH, "workers/keygate-edge.ts"),
      naive: path.join(BENCH, "workers/naive.ts"),
      "rpc-origin": path.join(BENCH, "workers/rpc-origin.ts"),
      "rpc-passthrough": path.join(BENCH, "workers/rpc-passthrough.ts"),
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

/**
 * The origin, in its own process, stopped when this script ends (and on its own once this process
 * is gone: it exits when its stdin, a pipe from here, closes).
 */
export async function startOrigin() {
  const child = spawn(process.execPath, [path.join(BENCH, "origin.mjs"), "0", "--exit-with-stdin"], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    track(child, (err) => reject(new Error(`could not start the origin (${err.message})`)));
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code, signal) => reject(new Error(`the origin exited with ${code ?? signal}`)));
  });
  const stop = async () => {
    unregister();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
  };
  const unregister = onEnd(stop);
  failpoint("origin");
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}`, stop };
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
 * The route the RPC rows use, added to wrangler.toml's route table for the bench: keygate calls
 * RPC_ORIGIN.handle(request, caller) (the BenchOrigin entrypoint of bench/workers/rpc-origin.ts).
 */
export const RPC_ROUTE = { name: "rpc", path: "/v1/rpc", methods: ["POST"], service: "RPC_ORIGIN", rpc: "handle", scope: "query" };

/**
 * Whether keygate's route table (src/config/route-table.ts, a strict schema) takes RPC_ROUTE: a
 * tree from before RPC routes would refuse it, and then the bench runs without the RPC rows.
 */
export async function rpcSupported() {
  try {
    const { ProxyRouteSchema } = await import("../../src/config/route-table.ts");
    return ProxyRouteSchema.safeParse(RPC_ROUTE).success;
  } catch {
    return false;
  }
}

/**
 * One Miniflare (one workerd process) with:
 *   keygate         the bundle behind bench/workers/keygate-main.ts; owns the KeyLimiter and
 *                   TenantQuota objects (SQLite-backed), D1, KV and the AUTH_FAILURES binding;
 *   keygate-b       the same code in a second isolate, bound to keygate's objects by scriptName;
 *   passthrough     bench/passthrough.ts;
 *   signing-passthrough   bench/workers/signing-passthrough.ts (the pass-through plus a signature);
 *   naive           bench/workers/naive.ts (the naive seed design) with its own KV namespace, D1
 *                   database and NaiveLimiter objects;
 *   rpc-origin      bench/workers/rpc-origin.ts, a Worker origin (entrypoint BenchOrigin), no socket;
 *   rpc-passthrough bench/workers/rpc-passthrough.ts, bound to rpc-origin's entrypoint like keygate;
 *   edge-*          the bundle behind bench/workers/keygate-edge.ts (delayed object calls), one
 *                   Worker per delay and lease setting, bound to keygate's objects;
 *   keygate-mf, passthrough-mf   the same as keygate and passthrough, but with outbound fetches
 *                   through Miniflare's interceptor Worker (no BENCH_ORIGIN / ORIGIN binding).
 * Every Worker but the -mf ones reaches the origin through an `external` service binding, i.e.
 * workerd's own HTTP client (bench/workers/outbound.ts explains why). With `rpc`, keygate's route
 * table is wrangler.toml's plus RPC_ROUTE. `keygateEntry: "keygate-loop.js"` serves the first
 * keygate Worker through bench/workers/keygate-loop.ts (stage-costs.mjs). Miniflare is stopped
 * when the script ends (lifecycle.mjs), or by the returned stop().
 */
export async function startWorkers({ originUrl, inspectorPort, rpc = false, keygateEntry = "keygate-main.js" }) {
  const config = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });
  const vars = {
    ...config.vars,
    ENVIRONMENT: "bench",
    EXPOSE_STORE_METRICS: "true",
    ORIGIN_QUERY_URL: originUrl,
    ORIGIN_INGEST_URL: originUrl,
    SIGNING_KEY: await signingKey(),
    // A JSON var, as wrangler.toml's [[vars.PROXY_ROUTES]] gives it.
    ...(rpc ? { PROXY_ROUTES: [...(config.vars.PROXY_ROUTES ?? []), RPC_ROUTE] } : {}),
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
  const rpcOrigin = { RPC_ORIGIN: { name: "rpc-origin", entrypoint: "BenchOrigin" } };
  const base = {
    modulesRoot: BUILD,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
  };
  const module = (file) => [{ type: "ESModule", path: path.join(BUILD, file) }];
  const keygateWorker = (name, entry, extra) => ({
    ...base,
    name,
    modules: [...module(entry), bundle],
    bindings: vars,
    d1Databases: { DB: "keygate-bench-d1" },
    kvNamespaces: { KEY_CACHE: "keygate-bench-kv" },
    ratelimits,
    serviceBindings: { ...native("BENCH_ORIGIN"), ...rpcOrigin },
    unsafeDirectSockets: socket,
    ...extra,
  });
  const passthrough = (name, serviceBindings) => ({
    ...base,
    name,
    modules: module("passthrough.js"),
    bindings: { ORIGIN_URL: originUrl },
    serviceBindings,
    unsafeDirectSockets: socket,
  });
  const workers = [
    keygateWorker("keygate", keygateEntry, { durableObjects: objects(null) }),
    keygateWorker("keygate-b", "keygate-main.js", { durableObjects: objects("keygate") }),
    keygateWorker("keygate-mf", "keygate-main.js", { durableObjects: objects("keygate"), serviceBindings: rpcOrigin }),
    passthrough("passthrough", native("ORIGIN")),
    {
      ...passthrough("signing-passthrough", native("ORIGIN")),
      modules: module("signing-passthrough.js"),
      bindings: { ORIGIN_URL: originUrl, SIGNING_KEY: vars.SIGNING_KEY },
    },
    passthrough("passthrough-mf", {}),
    {
      ...passthrough("naive", native("ORIGIN")),
      modules: module("naive.js"),
      kvNamespaces: { NAIVE_KEYS: "keygate-bench-naive-kv" },
      d1Databases: { NAIVE_DB: "keygate-bench-naive-d1" },
      durableObjects: { NAIVE_LIMITER: { className: "NaiveLimiter", useSQLite: true } },
    },
    { ...base, name: "rpc-origin", modules: module("rpc-origin.js") },
    { ...passthrough("rpc-passthrough", rpcOrigin), modules: module("rpc-passthrough.js"), bindings: {} },
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
      // BENCH_LOG_ERRORS=1 prints keygate's error lines (a 5xx's cause) to stderr instead.
      handleStructuredLogs: process.env.BENCH_LOG_ERRORS ? ({ level, message }) => level === "error" && process.stderr.write(`[workerd] ${message}\n`) : () => {},
      logRequests: false,
      cf: false,
      workers,
    }),
  );
  // Miniflare's own SIGINT/SIGTERM handler would kill workerd and exit before the origin is stopped.
  ownSignals();
  let stopping = null;
  const stop = () => {
    unregister();
    return (stopping ??= mf.dispose());
  };
  const unregister = onEnd(stop);
  try {
    await mf.ready;
    failpoint("workers");
    const urls = {};
    for (const w of workers) if (w.unsafeDirectSockets) urls[w.name] = (await mf.unsafeGetDirectURL(w.name)).href.replace(/\/$/, "");
    const workerdPids = findDescendants(process.pid, "workerd");
    if (workerdPids.length === 0) throw new Error("could not find the workerd process Miniflare started");
    return { mf, urls, workerdPids, compatibilityDate: config.compatibility_date, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
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

#!/usr/bin/env node
// npm run bench        the full benchmark (about 6 minutes): writes bench/results/latest.{md,json}
// npm run bench:smoke  the same steps for about a second each (CI): bench/results/smoke.{md,json}
//
// keygate's own bundle (wrangler deploy --dry-run) and a bare pass-through Worker, served by one
// workerd process (Miniflare, direct loopback sockets) with real local D1, KV, SQLite-backed
// Durable Objects and the AUTH_FAILURES rate-limiting binding, in front of a Node origin in its own
// process; wrk -t1 as the load generator for every throughput scenario. Peers of keygate in the
// same run: the naive seed design (bench/workers/naive.ts) and, over a service binding to a Worker
// origin, keygate's RPC route against a bare pass-through (bench/workers/rpc-*.ts). See README
// "Performance" for what each number means. Exits 1 if an invariant breaks (over-admission, wrong
// statuses, socket errors, store reads on the hot path); the targets are reported, not enforced.
// Stops at once with one line if wrk or npm install is missing (lib/preflight.mjs); leaves no
// process behind however it ends (lib/lifecycle.mjs).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { preflight } from "./lib/preflight.mjs";

const smoke = process.argv.includes("--smoke");
// Before anything is built or started: npm install done, wrk installed, Node 22 (else one line, exit 1).
await preflight({ again: smoke ? "npm run bench:smoke" : "npm run bench" });
const { failpoint, run: runMain, say } = await import("./lib/lifecycle.mjs");
const { measureAccuracy, warmByFetch: warmByFetchAs } = await import("./lib/accuracy.mjs");
const { perRequest, runWrk, waitForIdle, waitForQuiet } = await import("./lib/load.mjs");
const { BENCH, BUILD, buildAll, EDGE_VARIANTS, edgeName, ROOT, rpcSupported, startOrigin, startWorkers } = await import("./lib/stack.mjs");
const { renderMarkdown, summarize } = await import("./lib/report.mjs");
const { setupData, setupNaive } = await import("./lib/setup.mjs");

const P = smoke
  ? { mode: "smoke", rounds: 1, connections: 32, warmS: 0, measureS: 1, sampleS: 0, longSampleS: 0, edgeWarmS: 0, edgeS: 1, accuracyS: 1.5, accuracyClients: 32, quietBudgetS: 0 }
  : { mode: "full", rounds: 3, connections: 32, warmS: 1, measureS: 4, sampleS: 2, longSampleS: 11, edgeWarmS: 1, edgeS: 7, accuracyS: 5, accuracyClients: 64, quietBudgetS: 30 };
/**
 * Simulated edge: one wrk thread and connection per key (so a key never has two requests in
 * flight and "no leases" means exactly one object call per request), each waiting thinkMs after
 * every answer, so the machine is far from saturated and the added latency is the delay's own.
 */
const EDGE = { keys: 8, thinkMs: 20 };
/** Unknown keys per wrk run of the distinct-key flood (more than the flood gets through in its time). */
const FLOOD_KEYS = { warm: 15_000, measure: smoke ? 15_000 : 40_000, sample: 20_000 };
/** The one-IP flood reuses one slice: past the first 30 failures per 10 s its keys are never looked up. */
const ONE_IP_FLOOD_KEYS = 10_000;
/** Small enough that the clients always want more than the bucket gives (else under-admission means nothing). */
const ACCURACY_BUCKETS = [
  { capacity: 3, refillPerSecond: 1 },
  { capacity: 10, refillPerSecond: 5 },
  { capacity: 50, refillPerSecond: 20 },
  { capacity: 100, refillPerSecond: 20 },
];
const BIG_BUCKET = { capacity: 1_000_000, refillPerSecond: 100_000 };
/** The accuracy run's tenant-wide bucket, shared by SHARED_KEYS keys (issue 12). */
const SHARED_BUCKET = { capacity: 20, refillPerSecond: 10 };
const SHARED_KEYS = 4;
/** Client IPs: valid-key traffic, and one each for the one-IP floods (whose IP the failure filter blocks). */
const CLIENT_IP = "198.51.100.7";
const FLOOD_IP = { unknown: "203.0.113.40", malformed: "203.0.113.50" };
/** Another process using more than this many cores during a warm-up makes the bench wait for quiet. */
const BUSY_CORES = 0.3;
/**
 * The hot path may read KV only to refresh the isolate's 10 s copies of key and tenant: at most one
 * read per request in flight per copy and expiry. More than that fails the run.
 */
const hotKvReadsAllowed = (seconds, connections) => 2 * connections * (Math.floor(seconds / 10) + 1);

// A benchmark that hangs is worse than one that fails: give up after this long.
const WATCHDOG_S = Number(process.env.BENCH_WATCHDOG_S) || (smoke ? 300 : 720);

async function main() {
  const started = Date.now();
  say(`${P.mode} run: building the bundle (wrangler deploy --dry-run) and the bench Workers`);
  const { bundleSize } = await buildAll();
  // The RPC rows need RPC routes in keygate's route table (src/config/route-table.ts).
  const rpc = await rpcSupported();
  if (!rpc) say("keygate's route table takes no rpc routes (src/config/route-table.ts): the RPC rows are skipped");

  // Both are stopped however the run ends (lib/lifecycle.mjs).
  const origin = await startOrigin();
  const stack = await startWorkers({ originUrl: origin.url, rpc });
  const { mf, urls } = stack;
  const pids = { workerd: stack.workerdPids, origin: origin.pid };
  say(`workerd pid ${pids.workerd.join(",")}, origin pid ${origin.pid}; keygate on ${urls.keygate}, pass-through on ${urls.passthrough}`);

  // ---- data: schema, a platform key, a tenant, the keys each scenario uses ----
  const { db, api, createKey, inBatches } = await setupData(mf, urls.keygate, BIG_BUCKET);
  const { generateKey, parseKey } = await import("../src/keys/format.ts");
  const hot = await createKey("hot", BIG_BUCKET);
  await setupNaive(mf, [{ ...hot, bucket: BIG_BUCKET }]);
  failpoint("setup");
  const tiny = await createKey("tiny", { capacity: 1, refillPerSecond: 0.001 });
  const edgeKeys = await inBatches([...Array(EDGE.keys).keys()], 8, (i) => createKey(`edge-${i}`, BIG_BUCKET));
  const accuracyKeys = await inBatches(ACCURACY_BUCKETS, 4, async (b) => ({ ...b, keys: [(await createKey(`accuracy-${b.capacity}`, b)).key] }));
  // A tenant whose keys share a small bucket: the clients of this entry rotate over its keys, each
  // with a bucket far larger than the tenant's, so only the shared one can refuse them.
  const shared = await api("POST", "/v1/tenants", { name: "Bench shared", slug: "bench-shared", plan: "enterprise", tenantRateLimit: SHARED_BUCKET });
  const sharedKeys = await inBatches([...Array(SHARED_KEYS).keys()], 4, async (i) => (await api("POST", "/v1/keys", { name: `shared-${i}`, tenantId: shared.id, scopes: ["query"], rateLimit: BIG_BUCKET })).key);
  accuracyKeys.push({ ...SHARED_BUCKET, keys: sharedKeys, label: `tenant: ${SHARED_KEYS} keys sharing capacity ${SHARED_BUCKET.capacity}, refill ${SHARED_BUCKET.refillPerSecond}/s` });
  const edgeKeysFile = path.join(BUILD, "edge-keys.txt");
  writeFileSync(edgeKeysFile, edgeKeys.map((k) => k.key).join("\n") + "\n");

  // Unknown keys: well-formed with a valid checksum, never issued. The distinct-key flood takes a
  // fresh slice for every wrk run; the one-IP flood reuses one slice.
  const unknownKeysFile = path.join(BUILD, "unknown-keys.txt");
  const unknownTotal =
    ONE_IP_FLOOD_KEYS +
    P.rounds * ((P.warmS ? FLOOD_KEYS.warm : 0) + FLOOD_KEYS.measure) +
    (P.warmS ? 2 * FLOOD_KEYS.warm : 0) + // re-warm-ups after waiting for a quiet machine
    (P.sampleS ? FLOOD_KEYS.sample : 0);
  const unknown = [];
  for (let i = 0; i < unknownTotal; i++) unknown.push(generateKey("live"));
  writeFileSync(unknownKeysFile, unknown.join("\n") + "\n");
  let unknownCursor = ONE_IP_FLOOD_KEYS;
  const unknownSlice = (count) => {
    if (unknownCursor + count > unknownTotal) {
      unknownCursor = ONE_IP_FLOOD_KEYS; // out of fresh keys: start over (the report flags repeats)
      say("the distinct-key flood ran out of fresh keys; reusing");
    }
    const s = { BENCH_KEYS_FILE: unknownKeysFile, BENCH_KEYS_OFFSET: String(unknownCursor), BENCH_KEYS_COUNT: String(count) };
    unknownCursor += count;
    return s;
  };
  const oneIpSlice = { BENCH_KEYS_FILE: unknownKeysFile, BENCH_KEYS_OFFSET: "0", BENCH_KEYS_COUNT: String(ONE_IP_FLOOD_KEYS) };
  // Malformed: the shape of a key, a wrong checksum (caught offline, before any lookup).
  const good = generateKey("live");
  const malformed = good.slice(0, -1) + (good.endsWith("A") ? "B" : "A");
  if (parseKey(malformed) !== null) throw new Error("the malformed key parses");

  const stats = async () => {
    const ns = await mf.getDurableObjectNamespace("KEY_LIMITER", "keygate");
    return await ns.get(ns.idFromName("bench-stats")).benchStats();
  };
  const workerdExe = readlinkSync(`/proc/${pids.workerd[0]}/exe`);

  // ---- throughput scenarios: rounds of a, a+s, b, c, d, d', e, e' on the same stack, wrk -t1 -cN ----
  const scenarios = [
    { id: "a", label: "(a) bare pass-through Worker", worker: "passthrough", env: () => ({}) },
    { id: "a+s", label: "(a+s) pass-through that signs: digest + Ed25519 signature, nothing else", worker: "signing-passthrough", env: () => ({}), expect: ["200"], strict: true },
    // b, c, d', e' are sampled for longer than the 10 s isolate cache and failure-filter windows,
    // so their per-request counts include the periodic refreshes.
    { id: "b", label: "(b) keygate hot path: cached key, lease, sign, forward", worker: "keygate", env: () => ({ BENCH_KEY: hot.key }), expect: ["200"], strict: true, warmKey: hot.key, long: true },
    { id: "c", label: "(c) keygate refusing: 429 (1-token bucket)", worker: "keygate", env: () => ({ BENCH_KEY: tiny.key }), expect: ["429"], tolerate: 1, warmKey: tiny.key, long: true },
    {
      id: "d",
      label: "(d) unknown well-formed keys, a new client IP per request",
      worker: "keygate",
      env: (phase) => ({ ...unknownSlice(FLOOD_KEYS[phase]), BENCH_IP: "distinct" }),
      expect: ["401"],
      distinctKeys: true,
    },
    { id: "d'", label: "(d') unknown well-formed keys, one client IP", worker: "keygate", env: () => ({ ...oneIpSlice, BENCH_IP: FLOOD_IP.unknown }), expect: ["401", "429"], long: true },
    { id: "e", label: "(e) malformed keys, a new client IP per request", worker: "keygate", env: () => ({ BENCH_KEY: malformed, BENCH_IP: "distinct" }), expect: ["401"] },
    { id: "e'", label: "(e') malformed keys, one client IP", worker: "keygate", env: () => ({ BENCH_KEY: malformed, BENCH_IP: FLOOD_IP.malformed }), expect: ["401", "429"], long: true },
    // The naive seed design (bench/workers/naive.ts), the same hot key: what keygate's design buys.
    { id: "n", label: "(n) naive seed design: KV read + object call + D1 write per request", worker: "naive", env: () => ({ BENCH_KEY: hot.key }), expect: ["200"], strict: true, warmKey: hot.key },
    // A Worker origin over a service binding: keygate's RPC route against a bare pass-through calling the same entrypoint method.
    ...(rpc
      ? [
          { id: "a-rpc", label: "(a-rpc) bare pass-through over the same service binding (RPC)", worker: "rpc-passthrough", path: "/v1/rpc", env: () => ({}), expect: ["200"], strict: true },
          { id: "b-rpc", label: "(b-rpc) keygate hot path to a Worker origin over RPC", worker: "keygate", path: "/v1/rpc", env: () => ({ BENCH_KEY: hot.key }), expect: ["200"], strict: true, warmKey: hot.key },
        ]
      : []),
  ];
  /** Unsaturated: one connection, no think time (wrk -t1 -c1), for the added latency of the hot path. */
  const unsaturated = [
    { id: "a-c1", label: "(a) bare pass-through Worker, 1 connection", worker: "passthrough", env: () => ({}), connections: 1, unsaturated: true },
    // The floor at one connection too: how much of the added latency any signing gateway pays.
    { id: "a+s-c1", label: "(a+s) pass-through that signs, 1 connection", worker: "signing-passthrough", env: () => ({}), expect: ["200"], strict: true, connections: 1, unsaturated: true },
    { id: "b-c1", label: "(b) keygate hot path, 1 connection", worker: "keygate", env: () => ({ BENCH_KEY: hot.key }), expect: ["200"], strict: true, warmKey: hot.key, connections: 1, unsaturated: true },
  ];
  const mfScenarios = [
    { id: "a-mf", label: "(a) pass-through, outbound through Miniflare's interceptor", worker: "passthrough-mf", env: () => ({}) },
    { id: "b-mf", label: "(b) keygate hot path, outbound through Miniflare's interceptor", worker: "keygate-mf", env: () => ({ BENCH_KEY: hot.key }), expect: ["200"], strict: true, warmKey: hot.key },
  ];
  const base = { BENCH_PATH: "/v1/query", BENCH_IP: CLIENT_IP };
  const results = {};
  const problems = [];
  let quietBudgetMs = P.quietBudgetS * 1000;
  const waits = [];

  /** Warm-up, and if someone else was busy meanwhile, wait (within budget) for the machine to calm down. */
  const warm = async (s, url, seconds = P.warmS) => {
    if (!seconds) return warmByFetch(url, s.warmKey ?? null, 20);
    const connections = s.connections ?? P.connections;
    const env = { ...base, BENCH_PATH: s.path ?? base.BENCH_PATH, ...s.env("warm") };
    const run = await runWrk({ url, seconds, connections, env, pids });
    if (run.cpu.otherCores > BUSY_CORES && quietBudgetMs > 0) {
      const w = await waitForQuiet(pids, { cores: BUSY_CORES, maxMs: Math.min(5_000, quietBudgetMs) });
      quietBudgetMs -= w.waitedMs;
      waits.push({ before: s.id, busyCores: run.cpu.otherCores, ...w });
      say(`${s.id}: others used ${run.cpu.otherCores.toFixed(2)} cores during warm-up; waited ${(w.waitedMs / 1000).toFixed(1)} s (now ${w.otherCores.toFixed(2)})`);
      await runWrk({ url, seconds, connections, env, pids });
    }
  };

  const measure = async (s) => {
    const url = `${urls[s.worker]}${s.path ?? base.BENCH_PATH}`;
    // One request in flight: let workerd finish what the scenarios before left running first.
    const settled = s.unsaturated ? await waitForIdle(pids) : null;
    await warm(s, url);
    const env = s.env("measure");
    // The store counts come from the measured runs when there are no separate sample runs (smoke);
    // never for the unsaturated ones, whose latency the per-response Lua call would change.
    const aggregate = !P.sampleS && !s.unsaturated;
    const statsBefore = aggregate ? await stats() : null;
    const run = await runWrk({
      url,
      seconds: P.measureS,
      connections: s.connections ?? P.connections,
      env: { ...base, BENCH_PATH: s.path ?? base.BENCH_PATH, ...env, ...(aggregate ? { BENCH_AGGREGATE: "1" } : {}) },
      pids,
    });
    const r = (results[s.id] ??= { id: s.id, label: s.label, worker: s.worker, connections: s.connections ?? P.connections, unsaturated: !!s.unsaturated, runs: [] });
    r.runs.push({ ...strip(run), ...(settled ? { settled } : {}) });
    // More requests than distinct keys in the slice: the rest were repeats (answered from the
    // isolate's memory of unknown keys), which the report says.
    if (s.distinctKeys && run.requests > Number(env.BENCH_KEYS_COUNT)) r.keysReused = true;
    if (run.socketErrors > 0) problems.push(`${s.id}: ${run.socketErrors} socket errors/timeouts (${JSON.stringify(run.errors)})`);
    if (s.strict && run.non2xx > 0) problems.push(`${s.id}: ${run.non2xx} non-2xx responses in a measured run`);
    if (aggregate) r.sampleRun = { run, before: statsBefore, after: await stats() };
    say(
      `${s.id}: ${run.rps.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, p99 ${run.latencyMs.p99.toFixed(2)} ms, ` +
        `workerd ${run.cpuUsPerRequest.workerd.toFixed(0)} µs CPU/req, others ${run.cpu.otherCores.toFixed(2)} cores` +
        (settled ? `; waited ${(settled.waitedMs / 1000).toFixed(1)} s for workerd to idle (${settled.workerdCores.toFixed(2)} cores)` : ""),
    );
  };

  /** Store counts: Server-Timing of every response of an aggregating run, plus the filter calls. */
  const sample = async (s) => {
    const r = results[s.id];
    let { run, before, after } = r.sampleRun ?? {};
    if (!run) {
      const url = `${urls[s.worker]}${s.path ?? base.BENCH_PATH}`;
      const seconds = s.long ? P.longSampleS : P.sampleS;
      before = await stats();
      const env = { ...base, BENCH_PATH: s.path ?? base.BENCH_PATH, ...s.env("sample"), BENCH_AGGREGATE: "1" };
      run = await runWrk({ url, seconds, connections: P.connections, env, pids });
      after = await stats();
    }
    delete r.sampleRun;
    r.sample = strip(run);
    r.counts = perRequest(run.aggregate);
    // Filter calls are counted in the keygate isolate (the mf/b/edge Workers have their own).
    r.ratelimitPerRequest = s.worker === "keygate" && r.counts ? (after.ratelimitCalls - before.ratelimitCalls) / run.requests : null;
    if (s.expect && r.counts) {
      const unexpected = Object.entries(r.counts.statuses).filter(([code]) => !s.expect.includes(code)).reduce((n, [, c]) => n + c, 0);
      if (unexpected > (s.tolerate ?? 0)) problems.push(`${s.id}: ${unexpected} responses with unexpected statuses ${JSON.stringify(r.counts.statuses)}`);
    }
  };

  for (let round = 1; round <= P.rounds; round++) {
    say(`round ${round} of ${P.rounds}`);
    for (const s of scenarios) await measure(s);
    for (const s of unsaturated) await measure(s);
  }
  say(P.sampleS ? `sampling Server-Timing, ${P.sampleS} s or ${P.longSampleS} s per scenario` : "store counts from the measured runs");
  for (const s of scenarios) await sample(s);
  say("the same pass-through and hot path with Miniflare's outbound interceptor");
  for (const s of mfScenarios) {
    await measure(s);
    await sample(s);
  }
  // The hot path, to an HTTP origin and over RPC: no D1, and KV only for the periodic cache refresh.
  for (const id of ["b", "b-rpc"]) {
    const counts = results[id]?.counts;
    if (!counts) continue;
    const kvReads = Math.round(counts.kvReads * counts.sampled);
    if (counts.d1Reads + counts.d1Writes > 0 || counts.kvWrites > 0 || kvReads > hotKvReadsAllowed(results[id].sample.seconds, P.connections)) {
      problems.push(`${id}: the hot path touched D1 or KV beyond its periodic cache refresh (${JSON.stringify(counts)})`);
    }
  }

  // ---- accuracy: small buckets, many clients, two isolates ----
  say(`accuracy: ${P.accuracyClients} concurrent clients, ${ACCURACY_BUCKETS.length} keys, 2 isolates, ${P.accuracyS} s`);
  const accuracy = await measureAccuracy([urls.keygate, urls["keygate-b"]], accuracyKeys, { seconds: P.accuracyS, clients: P.accuracyClients, ip: CLIENT_IP });
  for (const a of accuracy.keys) if (a.overAdmitted > 0 || a.windowOver > 0) problems.push(`accuracy: over-admission on ${a.label}`);

  // ---- simulated edge: delayed object calls, with and without leases ----
  const edge = [];
  for (const v of EDGE_VARIANTS) {
    const url = `${urls[edgeName(v)]}/v1/query`;
    const env = { ...base, BENCH_KEYS_FILE: edgeKeysFile, BENCH_KEY_PER_THREAD: "1", BENCH_THINK_MS: String(EDGE.thinkMs) };
    const opts = { url, connections: EDGE.keys, threads: EDGE.keys, pids };
    if (P.edgeWarmS) await runWrk({ ...opts, seconds: P.edgeWarmS, env });
    else await Promise.all(edgeKeys.map((k) => warmByFetch(url, k.key, 3)));
    say(`edge ${v.delayMs} ms, leases ${v.leases ? "on" : "off"}: measuring ${P.edgeS} s`);
    const run = await runWrk({ ...opts, seconds: P.edgeS, env: { ...env, BENCH_AGGREGATE: "1" } });
    edge.push({ ...v, run: strip(run), counts: perRequest(run.aggregate) });
    if (run.socketErrors > 0) problems.push(`edge ${edgeName(v)}: ${run.socketErrors} socket errors`);
    const bad = Object.entries(run.aggregate?.statuses ?? {}).filter(([c]) => c !== "200");
    if (bad.length) problems.push(`edge ${edgeName(v)}: non-200 responses ${JSON.stringify(run.aggregate.statuses)}`);
  }

  // ---- background work of the key objects: usage flushes to D1, alarms, tenant-quota calls ----
  const objectStats = (await stats()).objects;
  const flushed = async (keyId) => (await db.prepare("SELECT total_requests AS n FROM api_keys WHERE id = ?").bind(keyId).first())?.n ?? 0;
  const background = {
    hot: { keyId: hot.id, flushedRequests: await flushed(hot.id), ...(objectStats[hot.id] ?? {}) },
    tiny: { keyId: tiny.id, flushedRequests: await flushed(tiny.id), ...(objectStats[tiny.id] ?? {}) },
  };

  const machine = {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "?",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
  };
  const versions = {
    node: process.version,
    workerd: execFileSync(workerdExe, ["--version"], { encoding: "utf8" }).trim(),
    wrangler: pkgVersion("wrangler"),
    miniflare: pkgVersion("miniflare"),
    wrk: spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout.split("\n")[0].replace(/ Copyright.*/, "").trim() || "?",
    compatibilityDate: stack.compatibilityDate,
  };
  say("timing the analytics stage's own work");
  const analyticsCpu = JSON.parse(execFileSync(process.execPath, [path.join(BENCH, "analytics-cpu.mjs"), "--json"], { encoding: "utf8" }));
  const data = summarize({
    analyticsCpu,
    mode: P.mode,
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine,
    versions,
    settings: { ...P, bundleSize, floodKeys: FLOOD_KEYS, edge: EDGE, rpc },
    results,
    accuracy,
    edge,
    background,
    waits,
    problems,
  });
  const outDir = path.join(BENCH, "results");
  mkdirSync(outDir, { recursive: true });
  const name = smoke ? "smoke" : "latest";
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(data, null, 2) + "\n");
  const md = renderMarkdown(data);
  writeFileSync(path.join(outDir, `${name}.md`), md);
  process.stdout.write(md);
  say(`wrote bench/results/${name}.md and ${name}.json in ${data.durationS} s`);
  if (problems.length) {
    say(`FAILED invariants:\n  ${problems.join("\n  ")}`);
    return 1;
  }
  return 0;
}

function strip(run) {
  const { wrkStdout, aggregate, ...rest } = run;
  return rest;
}

function pkgVersion(name) {
  return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

const warmByFetch = (url, key, n) => warmByFetchAs(url, key, n, CLIENT_IP);

runMain(main, { name: "bench", watchdogS: WATCHDOG_S });

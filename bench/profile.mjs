#!/usr/bin/env node
// CPU profile of keygate's hot path under load: the same stack as npm run bench (bundle, Miniflare,
// Node origin), a hot key, then `wrk -t1 -c32` for a few seconds while V8's sampling profiler runs
// in the keygate isolate (through workerd's inspector). Prints the functions with the most self
// time and writes the full profile (open it in Chrome DevTools → Performance) to
// bench/results/tmp/hot-path.cpuprofile.
//
//   node bench/profile.mjs [seconds] [scenario]     scenario: hot (default) | blocked | passthrough
//
// For hot, it also prints the busy samples per sample of the signing floor's own functions: the
// way to compare two builds on a shared machine (README Performance).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { preflight } from "./lib/preflight.mjs";

await preflight({ again: "node bench/profile.mjs" });
const { run, say } = await import("./lib/lifecycle.mjs");
const { runWrk } = await import("./lib/load.mjs");
const { compose } = await import("./lib/patches.mjs");
const { setupData } = await import("./lib/setup.mjs");
const { BENCH, BUILD, buildAll, startOrigin, startWorkers } = await import("./lib/stack.mjs");

const seconds = Number(process.argv[2] ?? 5);
const scenario = process.argv[3] ?? "hot";
const BIG = { capacity: 1_000_000, refillPerSecond: 100_000 };

run(
  async () => {
    say("building the bundle (wrangler deploy --dry-run)");
    await buildAll();
    // ABLATE=no-log+no-signature: profile the bundle with those patches (bench/lib/patches.mjs) applied.
    if (process.env.ABLATE) writeFileSync(`${BUILD}/keygate/index.js`, compose(process.env.ABLATE)(readFileSync(`${BUILD}/keygate/index.js`, "utf8")));
    // Both are stopped however this ends (lib/lifecycle.mjs).
    const origin = await startOrigin();
    const stack = await startWorkers({ originUrl: origin.url, inspectorPort: 0 });
    say(`profiling ${scenario} for ${seconds} s`);
    await profile(origin, stack);
  },
  { name: "profile", watchdogS: 120 + seconds },
);

async function profile(origin, stack) {
  const { createKey } = await setupData(stack.mf, stack.urls.keygate, BIG);
  const hot = await createKey("hot", BIG);
  const worker = scenario === "passthrough" ? "passthrough" : "keygate";
  const url = `${stack.urls[worker]}/v1/query`;
  // "blocked": a malformed key from one IP, which the failure filter blocks after its first failures
  // (the cheapest refusal: no store is read).
  const key = scenario === "blocked" ? "kg_live_malformed" : hot.key;
  const env = { BENCH_PATH: "/v1/query", BENCH_IP: "198.51.100.7", ...(worker === "keygate" ? { BENCH_KEY: key } : {}) };
  const pids = { workerd: stack.workerdPids, origin: origin.pid };
  await runWrk({ url, seconds: 2, connections: 32, env, pids }); // warm-up

  const inspector = await stack.mf.getInspectorURL();
  const ws = new WebSocket(new URL(`/core:user:${worker}`, inspector.href.replace(/^http/, "ws")));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  const run = await runWrk({ url, seconds, connections: 32, env, pids });
  const { result } = await call("Profiler.stop");
  ws.close();

  const profile = result.profile;
  const dir = path.join(BENCH, "results/tmp");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${scenario}-path.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));

  // Self time per function (by name and location), from sample counts.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const self = new Map();
  let total = 0;
  for (const [nodeId, count] of hits) {
    const f = byId.get(nodeId).callFrame;
    const name = `${f.functionName || "(anonymous)"} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ""}`.trim();
    self.set(name, (self.get(name) ?? 0) + count);
    total += count;
  }
  const idle = (self.get("(idle)") ?? 0) + (self.get("(program)") ?? 0);
  console.log(`${scenario}: ${run.rps.toFixed(0)} req/s, workerd ${run.cpuUsPerRequest.workerd.toFixed(0)} µs CPU/req; ${total} samples (${((idle / total) * 100).toFixed(0)}% idle/program)`);
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
  if (worker === "keygate") console.log(`busy samples per floor sample: ${busyPerFloor(profile, byId).toFixed(3)} (compare builds by this, not req/s: README Performance)`);
  console.log(`full profile: ${path.relative(process.cwd(), file)}`);
}

/**
 * The isolate's busy samples over the samples of what every signing gateway does per request (the
 * signature, the body read and digest, the fetch and its Request), in the same profile. Contention
 * on a shared machine slows both alike, so this ratio compares two builds where req/s cannot.
 */
function busyPerFloor(profile, byId) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const FLOOR = new Set(["signRequest", "readBoundedBody", "contentDigest"]);
  let busy = 0;
  let floor = 0;
  for (const id of profile.samples) {
    const f = byId.get(id).callFrame;
    if (f.functionName === "(idle)") continue;
    busy++;
    const caller = parent.has(id) ? byId.get(parent.get(id)).callFrame.functionName : "";
    if (FLOOR.has(f.functionName) || (!f.url && (f.functionName === "fetch" || f.functionName === "Request") && caller === "forwardToOrigin")) floor++;
  }
  return busy / floor;
}

// Load generation (wrk -t1 with bench/wrk.lua) and CPU accounting from /proc: the workerd
// process's own utime+stime, the origin's, this harness's, and wrk's (reaped children of this
// process, so cutime+cstime grows by exactly wrk's CPU when it exits).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { track } from "./lifecycle.mjs";

const BENCH = path.resolve(import.meta.dirname, "..");

const TICK_MS = 10; // getconf CLK_TCK = 100 on Linux

/** CPU milliseconds used so far by `pid` (own threads; with children: also its reaped children). */
export function cpuMs(pid, withChildren = false) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // After the ")": state is field 3, so utime (14), stime (15), cutime (16), cstime (17) are 11..14.
  return (f[11] + f[12] + (withChildren ? f[13] + f[14] : 0)) * TICK_MS;
}

/** CPU milliseconds all processes of the machine have used (busy time over every core). */
export function systemBusyMs() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait irq softirq steal ...): process time only, as /proc/<pid>/stat
  // counts it; loopback networking in softirq would otherwise read as someone else's load.
  return (f[0] + f[1] + f[2]) * TICK_MS;
}

export function snapshotCpu(pids) {
  return {
    at: performance.now(),
    system: systemBusyMs(),
    workerd: pids.workerd.reduce((n, p) => n + cpuMs(p), 0),
    origin: cpuMs(pids.origin),
    harness: cpuMs(process.pid),
    reaped: cpuMs(process.pid, true) - cpuMs(process.pid),
  };
}

export function cpuDelta(before, after) {
  const ours = after.workerd - before.workerd + (after.origin - before.origin) + (after.harness - before.harness) + (after.reaped - before.reaped);
  return {
    wallMs: after.at - before.at,
    /** Cores busy with anything else on this machine meanwhile (other users, tests, the kernel). */
    otherCores: Math.max(0, after.system - before.system - ours) / (after.at - before.at),
    workerdMs: after.workerd - before.workerd,
    originMs: after.origin - before.origin,
    harnessMs: after.harness - before.harness,
    wrkMs: after.reaped - before.reaped,
  };
}

const outDir = mkdtempSync(path.join(tmpdir(), "keygate-bench-"));
process.on("exit", () => rmSync(outDir, { recursive: true, force: true }));
let runs = 0;

/**
 * One wrk run: `wrk -t<threads> -c<connections> -d<seconds>s` against `url` with bench/wrk.lua configured by
 * `env` (see the script's header). Returns wrk's result and the CPU each process used meanwhile.
 */
export async function runWrk({ url, seconds, connections, threads = 1, env, pids }) {
  const out = path.join(outDir, `run-${++runs}.json`);
  const before = snapshotCpu(pids);
  const child = spawn("wrk", [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", path.join(BENCH, "wrk.lua"), url], {
    env: { ...process.env, ...env, BENCH_OUT: out },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise((resolve, reject) => {
    track(child, (err) => reject(new Error(`could not run wrk (${err.message})`)));
    child.on("exit", (code, signal) => resolve(code ?? signal));
  });
  const after = snapshotCpu(pids);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${stdout}\n${stderr}`);
  let result;
  try {
    result = JSON.parse(readFileSync(out, "utf8"));
  } catch (err) {
    throw new Error(`wrk wrote no result (${err}):\n${stdout}\n${stderr}`);
  }
  const cpu = cpuDelta(before, after);
  const seconds_ = result.duration_us / 1e6;
  const errors = result.errors ?? {};
  return {
    requests: result.requests,
    seconds: seconds_,
    rps: result.requests / seconds_,
    latencyMs: Object.fromEntries(Object.entries(result.latency_us).map(([k, v]) => [k, v / 1000])),
    socketErrors: (errors.connect ?? 0) + (errors.read ?? 0) + (errors.write ?? 0) + (errors.timeout ?? 0),
    non2xx: errors.status ?? 0,
    errors,
    aggregate: result.aggregate ?? null,
    cpu,
    cpuUsPerRequest: {
      workerd: (cpu.workerdMs * 1000) / result.requests,
      origin: (cpu.originMs * 1000) / result.requests,
      wrk: (cpu.wrkMs * 1000) / result.requests,
      harness: (cpu.harnessMs * 1000) / result.requests,
    },
    wrkStdout: stdout,
  };
}

/** Per-request store counts from an aggregating run (the Server-Timing header of every response). */
export function perRequest(aggregate) {
  if (!aggregate || aggregate.requests === 0) return null;
  const n = aggregate.requests;
  return {
    sampled: n,
    withServerTiming: aggregate.timed,
    doCalls: aggregate["do-call"] / n,
    kvReads: aggregate["kv-read"] / n,
    kvWrites: aggregate["kv-write"] / n,
    d1Reads: aggregate["d1-read"] / n,
    d1Writes: aggregate["d1-write"] / n,
    // Started by a request but not waited for: stale cache copies refreshed, leases renewed.
    backgroundDoCalls: (aggregate["bg-do-call"] ?? 0) / n,
    backgroundKvReads: (aggregate["bg-kv-read"] ?? 0) / n,
    backgroundD1Reads: (aggregate["bg-d1-read"] ?? 0) / n,
    statuses: aggregate.statuses,
  };
}

/**
 * Waits (up to maxMs) until the rest of the machine uses less than `cores` cores over a 1 s
 * window: other people's test runs on a 2-core machine would otherwise be measured as keygate's.
 * Returns how long it waited and the last reading.
 */
export async function waitForQuiet(pids, { cores = 0.3, maxMs = 10_000 } = {}) {
  const { waitedMs, last } = await waitBelow(pids, 1000, (before, after) => cpuDelta(before, after).otherCores, cores, maxMs);
  return { waitedMs, otherCores: last };
}

/**
 * Waits (up to maxMs) until workerd itself is idle: below `cores` over a 250 ms window. Background
 * work the earlier scenarios left behind (cache fills, usage flushes, a flood's deferred writes)
 * runs on the same thread as every Worker and would otherwise land in a latency measurement.
 */
export async function waitForIdle(pids, { cores = 0.05, maxMs = 10_000 } = {}) {
  const { waitedMs, last } = await waitBelow(pids, 250, (before, after) => (after.workerd - before.workerd) / (after.at - before.at), cores, maxMs);
  return { waitedMs, workerdCores: last };
}

/** Reads the CPU snapshots `windowMs` apart until `reading` of the two is below `cores`, or maxMs passed. */
async function waitBelow(pids, windowMs, reading, cores, maxMs) {
  const started = performance.now();
  let last = 0;
  for (;;) {
    const before = snapshotCpu(pids);
    await new Promise((r) => setTimeout(r, windowMs));
    last = reading(before, snapshotCpu(pids));
    if (last < cores || performance.now() - started >= maxMs) break;
  }
  return { waitedMs: performance.now() - started, last };
}

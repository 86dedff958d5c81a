#!/usr/bin/env node
// What-if experiments on the built bundle: how much of keygate's per-request CPU a few suspects
// cost, measured by removing them from the bundle (never from src/) and running the hot path (b)
// and the cheapest refusal (e', an IP the failure filter has blocked) on the same stack as
// npm run bench. Each patch (bench/lib/patches.mjs) is anchored on a function head or a stage of
// src/app.ts, fails loudly once the source has changed so that it no longer applies, and is
// checked against the current bundle by test/node/bench-patches.happy.test.ts.
//
//   node bench/ablate.mjs [rounds] [seconds] [variant,variant+variant,...]
//
// A variant named a+b applies both patches. Without a list: orig and every single patch: no-log,
// log-noscrub, log-constant, no-signature, no-digest, no-secureheaders, no-response-filter;
// stage cuts that answer a constant 200 for POST /v1/query at one point
// (cut-at-start, cut-before-auth, cut-after-auth, the finer cuts after it, cut-before-forward), so
// the difference between two cuts is what the stages between them cost (bench/stage-costs.mjs
// measures the same cuts inside the isolate, without HTTP); fwd-plain(-headers), which reduce forwarding to a
// bare fetch. Stops at once with one line if wrk or npm install is missing (lib/preflight.mjs);
// leaves no process behind however it ends (lib/lifecycle.mjs).
import { preflight } from "./lib/preflight.mjs";

await preflight({ again: "node bench/ablate.mjs" });
const { run, say } = await import("./lib/lifecycle.mjs");
const { runWrk } = await import("./lib/load.mjs");
const { patches } = await import("./lib/patches.mjs");
const { setupData } = await import("./lib/setup.mjs");
const { overVariants } = await import("./lib/variants.mjs");

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 3);
const BIG = { capacity: 1_000_000, refillPerSecond: 100_000 };

const names = process.argv[4]?.split(",") ?? Object.keys(patches);

run(
  async () => {
    const results = {};
    await overVariants({ names, rounds }, async ({ name, round, stack, origin }) => {
      const pids = { workerd: stack.workerdPids, origin: origin.pid };
      const { createKey } = await setupData(stack.mf, stack.urls.keygate, BIG);
      const hot = await createKey("hot", BIG);
      const url = `${stack.urls.keygate}/v1/query`;
      const malformed = "kg_live_" + "A".repeat(38);
      for (const [scenario, env] of [
        ["b", { BENCH_KEY: hot.key, BENCH_IP: "198.51.100.7" }],
        ["e'", { BENCH_KEY: malformed, BENCH_IP: "203.0.113.50" }],
      ]) {
        await runWrk({ url, seconds: 1, connections: 32, env, pids });
        const r = await runWrk({ url, seconds, connections: 32, env, pids });
        ((results[name] ??= {})[scenario] ??= []).push({ rps: r.rps, cpuUs: r.cpuUsPerRequest.workerd, otherCores: r.cpu.otherCores, non2xx: r.non2xx });
        say(`round ${round} ${name} ${scenario}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.workerd.toFixed(0)} µs CPU/req, others ${r.cpu.otherCores.toFixed(2)} cores${r.non2xx ? `, ${r.non2xx} non-2xx` : ""}`);
      }
    });
    report(results);
  },
  { name: "ablate", watchdogS: 120 + rounds * names.length * (2 * (seconds + 1) + 20) },
);

function report(results) {
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log("| variant | (b) req/s | (b) workerd CPU µs/req | (b) non-2xx | (e') req/s | (e') workerd CPU µs/req |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, r] of Object.entries(results)) {
    const b = r.b;
    const e = r["e'"];
    console.log(
      `| ${name} | ${mean(b.map((x) => x.rps)).toFixed(0)} | ${mean(b.map((x) => x.cpuUs)).toFixed(0)} | ${b.reduce((n, x) => n + x.non2xx, 0)} | ${mean(e.map((x) => x.rps)).toFixed(0)} | ${mean(e.map((x) => x.cpuUs)).toFixed(0)} |`,
    );
  }
}

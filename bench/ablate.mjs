#!/usr/bin/env node
// What-if experiments on the built bundle: how much of keygate's per-request CPU a few suspects
// cost, measured by removing them from the bundle (never from src/) and running the hot path (b)
// and the cheapest refusal (e', an IP the failure filter has blocked) on the same stack as
// npm run bench. Each patch is an exact text replacement in bench/.build/keygate/index.js and
// fails loudly once the source has changed so that it no longer applies.
//
//   node bench/ablate.mjs [rounds] [seconds] [variant,variant+variant,...]
//
// A variant named a+b applies both patches. Without a list: every single patch and orig.
// Patches (bench/lib/patches.mjs): no-log, no-signature, no-digest, no-secureheaders,
// no-timeout-signal, no-response-rebuild, log-noscrub, log-constant, log-inline; stage cuts that
// answer a constant 200 at one point (cut-at-start, cut-after-auth, cut-before-forward), so the
// difference between two cuts is what the stages between them cost; fwd-plain(-headers), which
// reduce forwarding to a bare fetch (diagnostic only: the pipeline then fails on the fetched
// response's immutable headers, counted in the non-2xx column).
import { readFileSync, writeFileSync } from "node:fs";
import { runWrk } from "./lib/load.mjs";
import { compose, patches } from "./lib/patches.mjs";
import { setupData } from "./lib/setup.mjs";
import { BUILD, buildAll, startOrigin, startWorkers } from "./lib/stack.mjs";

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 3);
const BIG = { capacity: 1_000_000, refillPerSecond: 100_000 };

const variants = Object.fromEntries((process.argv[4]?.split(",") ?? Object.keys(patches)).map((name) => [name, compose(name)]));

await buildAll();
const file = `${BUILD}/keygate/index.js`;
const original = readFileSync(file, "utf8");
const results = {};
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [name, patch] of Object.entries(variants)) {
      writeFileSync(file, patch(original));
      const origin = await startOrigin();
      const stack = await startWorkers({ originUrl: origin.url });
      try {
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
          process.stderr.write(`[ablate] round ${round} ${name} ${scenario}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.workerd.toFixed(0)} µs CPU/req, others ${r.cpu.otherCores.toFixed(2)} cores${r.non2xx ? `, ${r.non2xx} non-2xx` : ""}\n`);
        }
      } finally {
        await stack.mf.dispose();
        origin.child.kill();
      }
    }
  }
} finally {
  writeFileSync(file, original);
}
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

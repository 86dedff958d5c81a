#!/usr/bin/env node
// What-if experiments on the built bundle: how much of keygate's per-request CPU a few suspects
// cost, measured by removing them from the bundle (never from src/) and running the hot path (b)
// and the cheapest refusal (e', an IP the failure filter has blocked) on the same stack as
// npm run bench. Each patch is an exact text replacement in bench/.build/keygate/index.js and
// fails loudly once the source has changed so that it no longer applies.
//
//   node bench/ablate.mjs [rounds] [seconds]
//
// Variants: orig; no-log (log() returns at once: no access-log line, no other log lines);
// whole-body (readBoundedBody reads the body with one arrayBuffer() instead of a reader loop; no
// streamed limit check); no-signature (signRequest returns a fixed signature: no Ed25519 sign, no
// signature base).
import { readFileSync, writeFileSync } from "node:fs";
import { runWrk } from "./lib/load.mjs";
import { setupData } from "./lib/setup.mjs";
import { BUILD, buildAll, startOrigin, startWorkers } from "./lib/stack.mjs";

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 3);
const BIG = { capacity: 1_000_000, refillPerSecond: 100_000 };

const replace = (from, to) => (text) => {
  if (!text.includes(from)) throw new Error(`patch no longer applies: ${from}`);
  return text.replace(from, to);
};
const noLog = replace("function log(level, event, fields = {}) {\n", "function log(level, event, fields = {}) {\n  return;\n");
const wholeBody = replace(
  "  if (declared > limit) throw tooLarge(limit);\n  const reader = req.body.getReader();",
  "  if (declared > limit) throw tooLarge(limit);\n  { const whole = await req.arrayBuffer(); return whole.byteLength ? whole : null; }\n  const reader = req.body.getReader();",
);
const noSignature = replace(
  "async function signRequest(input2, key, opts) {\n",
  'async function signRequest(input2, key, opts) {\n  return { "Signature-Input": "kg=()", Signature: "kg=:AA==:" };\n',
);
const variants = { orig: (t) => t, "no-log": noLog, "whole-body": wholeBody, "no-signature": noSignature };

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
          ((results[name] ??= {})[scenario] ??= []).push({ rps: r.rps, cpuUs: r.cpuUsPerRequest.workerd, otherCores: r.cpu.otherCores });
          process.stderr.write(`[ablate] round ${round} ${name} ${scenario}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.workerd.toFixed(0)} µs CPU/req, others ${r.cpu.otherCores.toFixed(2)} cores\n`);
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
console.log("| variant | (b) req/s | (b) workerd CPU µs/req | (e') req/s | (e') workerd CPU µs/req |");
console.log("|---|---|---|---|---|");
for (const [name, r] of Object.entries(results)) {
  const b = r.b;
  const e = r["e'"];
  console.log(
    `| ${name} | ${mean(b.map((x) => x.rps)).toFixed(0)} | ${mean(b.map((x) => x.cpuUs)).toFixed(0)} | ${mean(e.map((x) => x.rps)).toFixed(0)} | ${mean(e.map((x) => x.cpuUs)).toFixed(0)} |`,
  );
}

#!/usr/bin/env node
// What the analytics stage adds to a hot request, in CPU: the work it does once a request is
// answered (classify the outcome, add the sample to the key's isolate rollup), timed on its own
// in Node over the same modules the Worker runs. It writes nothing: its store calls are counted by
// the main bench, whose hot-path D1/KV invariants cover the analytics stage too.
//   node bench/analytics-cpu.mjs [--json]
import { performance } from "node:perf_hooks";
import { outcomeOf } from "../src/analytics/outcome.ts";
import { recordUsage, takeUsage } from "../src/limits/usage-buffer.ts";
import { countKeyless, countNetwork } from "../src/analytics/keyless.ts";
import { clientNetwork } from "../src/analytics/network.ts";

const N = 200_000;
const ROUTES = ["POST /v1/query", "GET /v1/echo", "GET /v1/jobs/:id"];

function time(label, fn) {
  for (let i = 0; i < 20_000; i++) fn(i); // warm the JIT
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  return { label, usPerRequest: ((performance.now() - t0) * 1000) / N };
}

const keys = Array.from({ length: 64 }, (_, i) => `key_bench${String(i).padStart(16, "0")}`);
const keyed = time("valid request of a known key (outcome + key rollup)", (i) => {
  const key = keys[i % keys.length];
  recordUsage(key, { at: Date.now(), route: ROUTES[i % 3], outcome: outcomeOf(200, undefined), status: 200, latencyMs: i % 40, cost: 1 });
  if (i % 5000 === 0) for (const k of keys) takeUsage(k); // a lease call takes the batch now and then
});
const keyless = time("unknown key (outcome + keyless rollup + client network)", (i) => {
  countKeyless({ at: Date.now(), route: "(unauthenticated)", outcome: "unknown_key", status: 401, latencyMs: 1, cost: 0 });
  countNetwork(clientNetwork(`203.0.${i % 200}.${i % 250}`), "unknown_key", Date.now());
});
const results = [keyed, keyless];
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
else for (const r of results) console.log(`${r.label}: ${r.usPerRequest.toFixed(2)} µs`);

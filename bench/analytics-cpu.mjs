#!/usr/bin/env node
// What the analytics stage and the access rules add to a hot request, in CPU: the work the
// outcome stage does once a request is answered (classify it, add it to the key's isolate rollup)
// and the network and resource checks of a key with rules set, each timed on its own in Node over
// the same modules the Worker runs. It writes nothing: its store calls are counted by
// the main bench, whose hot-path D1/KV invariants cover the analytics stage too.
//   node bench/analytics-cpu.mjs [--json]
import { performance } from "node:perf_hooks";
import { outcomeOf } from "../src/analytics/outcome.ts";
import { recordUsage, takeUsage } from "../src/limits/usage-buffer.ts";
import { countKeyless, countNetwork } from "../src/analytics/keyless.ts";
import { clientNetwork } from "../src/analytics/network.ts";
import { networkVerdict, resourceAllowed } from "../src/keys/access-rules.ts";

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
// A key with rules set: ten CIDRs of its own (IPv4 and IPv6), two of its tenant's, five resource ids.
const keyRules = {
  allowedIps: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "2001:db8::/32", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/10"],
  deniedIps: ["10.9.0.0/16", "2001:db8:dead::/48", "192.168.66.0/24"],
  resources: { agent: ["a_1", "a_2", "a_3", "team-7-*"], vector_store: ["vs_*"] },
};
const tenantRules = { allowedIps: null, deniedIps: ["192.0.2.0/24", "2001:db8:bad::/48"] };
const ips = ["10.1.2.3", "2001:db8:1::5", "203.0.113.77", "::ffff:10.4.4.4"];
const rules = time("access rules: network (key + tenant) and resource", (i) => {
  networkVerdict(ips[i % ips.length], [keyRules, tenantRules]);
  resourceAllowed(keyRules.resources, { type: "agent", id: i % 2 ? "team-7-x" : "a_3" });
});
const results = [keyed, keyless, rules];
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
else for (const r of results) console.log(`${r.label}: ${r.usPerRequest.toFixed(2)} µs`);

#!/usr/bin/env node
// What keygate's stages cost inside the isolate, without HTTP: the bundle behind
// bench/workers/keygate-loop.ts calls its own fetch handler N times in a row (POST /v1/query with
// a hot key), once per cut of the pipeline (bench/lib/patches.mjs: a constant 200 at one point),
// and the time per request is read from outside. The difference between two cuts is what the
// stages between them cost. No load generator or origin shares the number, so it is steadier than
// req/s on a shared machine; it counts the isolate's own work only (no sockets, no HTTP parsing).
//
//   node bench/stage-costs.mjs [rounds] [requests per sample]      (npm run bench:stages)
import { preflight } from "./lib/preflight.mjs";

await preflight({ again: "npm run bench:stages" });
const { run, say } = await import("./lib/lifecycle.mjs");
const { setupData } = await import("./lib/setup.mjs");
const { overVariants } = await import("./lib/variants.mjs");

const rounds = Number(process.argv[2] ?? 3);
const perSample = Number(process.argv[3] ?? 1000);
const SAMPLES = 5;
const BIG = { capacity: 1_000_000, refillPerSecond: 100_000 };
/** The cuts in pipeline order, each with what lies between it and the one before. */
const CUTS = [
  ["cut-at-start", "keygate's entry, Hono, a constant answer (the base)"],
  ["cut-before-auth", "request-id, security-headers, access-log, outcome, url-hygiene, cors"],
  ["cut-after-auth", "authenticate: credential, failure filter, checksum, hash, isolate memory, key and tenant state"],
  ["cut-after-network", "network: the key's and tenant's access rules"],
  ["cut-after-charge", "charge-unadmitted"],
  ["cut-before-scope", "the route table's match"],
  ["cut-after-resource", "scope, resource"],
  ["cut-after-admission", "admission: the lease, usage, RateLimit fields"],
  ["cut-after-body", "body: media type and size checks"],
  ["cut-before-forward", "reading the body (bounded), the handler"],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

run(
  async () => {
    const us = {};
    await overVariants({ names: CUTS.map(([name]) => name), rounds, workers: { keygateEntry: "keygate-loop.js" } }, async ({ name, round, stack }) => {
      const { createKey } = await setupData(stack.mf, stack.urls.keygate, BIG);
      const hot = await createKey("hot", BIG);
      const url = (n) => `${stack.urls.keygate}/__loop?n=${n}&key=${encodeURIComponent(hot.key)}`;
      const once = async (n) => {
        const t0 = performance.now();
        const res = await fetch(url(n));
        const text = await res.text();
        if (text !== "ok") throw new Error(`${name}: ${text}`);
        return ((performance.now() - t0) * 1000) / n;
      };
      await once(Math.min(300, perSample)); // warm: the key's copy in memory, a lease, optimised code
      const samples = [];
      for (let i = 0; i < SAMPLES; i++) samples.push(await once(perSample));
      (us[name] ??= []).push(median(samples));
      say(`round ${round} ${name}: ${median(samples).toFixed(1)} µs per request (samples ${samples.map((x) => x.toFixed(0)).join(" ")})`);
    });
    console.log("| cut | µs per request (median of rounds) | added by | µs |");
    console.log("|---|---|---|---|");
    let before = null;
    for (const [name, what] of CUTS) {
      const m = median(us[name]);
      console.log(`| ${name} | ${m.toFixed(1)} | ${what} | ${before === null ? "–" : (m - before >= 0 ? "+" : "") + (m - before).toFixed(1)} |`);
      before = m;
    }
  },
  { name: "stage-costs", watchdogS: 120 + rounds * CUTS.length * 40 },
);

#!/usr/bin/env node
// Whether Hono's middleware chain is worth replacing: one middleware against fifteen (keygate's
// hot path passes about fifteen stages), and fifteen run by a hand-written chain, each app called
// a thousand times in a row inside one workerd isolate (bench/workers/hono-chain.ts) and timed
// from outside. Prints µs per request, median of the samples.
//
//   node bench/hono-chain.mjs [samples]
import { preflight } from "./lib/preflight.mjs";

await preflight({ again: "node bench/hono-chain.mjs" });
const path = (await import("node:path")).default;
const { build } = await import("esbuild");
const { convertV4MiniflareOptions, Log, LogLevel, Miniflare } = await import("miniflare");
const { onEnd, run, say } = await import("./lib/lifecycle.mjs");

const samples = Number(process.argv[2] ?? 7);
const N = 1000;
const BENCH = import.meta.dirname;
const OUT = path.join(BENCH, ".build/hono-chain.js");

run(
  async () => {
    await build({ entryPoints: [path.join(BENCH, "workers/hono-chain.ts")], outfile: OUT, bundle: true, format: "esm", platform: "neutral", target: "es2023", logLevel: "warning" });
    const mf = new Miniflare(
      convertV4MiniflareOptions({ log: new Log(LogLevel.WARN), cf: false, workers: [{ name: "chain", modules: [{ type: "ESModule", path: OUT }], compatibilityDate: "2026-11-01" }] }),
    );
    onEnd(() => mf.dispose());
    const url = await mf.ready;
    const apps = ["one", "hono-15", "hand-15"];
    const time = async (app, n) => {
      const t0 = performance.now();
      const res = await mf.dispatchFetch(`${url}?app=${app}&n=${n}`);
      if ((await res.text()) !== "ok") throw new Error(`${app} failed`);
      return ((performance.now() - t0) * 1000) / n;
    };
    for (const app of apps) await time(app, N); // warm: optimised code
    const us = Object.fromEntries(apps.map((a) => [a, []]));
    for (let i = 0; i < samples; i++) for (const app of apps) us[app].push(await time(app, N));
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const app of apps) say(`${app}: ${median(us[app]).toFixed(1)} µs per request (median of ${samples} × ${N})`);
  },
  { name: "hono-chain", watchdogS: 180 },
);

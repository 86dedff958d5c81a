// Derived numbers (ratios, added latency, cost, targets) and the markdown report.
import { costPerMillion, PRICES } from "./cost.mjs";

/**
 * Issue 18's targets, all same-run ratios or differences: (1) the hot path against the signing
 * floor, (2) added p50 at one connection, (3) stores and waited object calls per hot request,
 * (4) the RPC path against a bare pass-through over the same binding; and issue 5's cost target.
 */
const TARGETS = { signingFloorRatio: 0.75, addedP50Ms: 0.4, waitedObjectCalls: 0.001, rpcRatio: 0.8, costOverBare: 0.15 };
/** Rows measured against their own pass-through: b-mf against a-mf, b-rpc against a-rpc, b-c1 against a-c1. */
const PAIRED = /-(mf|rpc|c1)$/;

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per round, scenario `id`'s p50 minus `base`'s (measured back to back); null when `id` was not run. */
const p50Rounds = (d, id, base) => d.results[id]?.runs.map((run, i) => run.latencyMs.p50 - d.results[base].runs[i].latencyMs.p50) ?? null;

/** One scenario over its rounds: means of the per-round rates and percentiles, CPU over all requests. */
function overRounds(r) {
  const runs = r.runs;
  const requests = runs.reduce((n, x) => n + x.requests, 0);
  const cpuUs = (k) => (runs.reduce((n, x) => n + x.cpu[k], 0) * 1000) / requests;
  return {
    rounds: runs.length,
    requests,
    rps: mean(runs.map((x) => x.rps)),
    rpsMin: Math.min(...runs.map((x) => x.rps)),
    rpsMax: Math.max(...runs.map((x) => x.rps)),
    p50: mean(runs.map((x) => x.latencyMs.p50)),
    p99: mean(runs.map((x) => x.latencyMs.p99)),
    cpuUs: cpuUs("workerdMs"),
    wrkUs: cpuUs("wrkMs"),
    originUs: cpuUs("originMs"),
    otherCoresMax: Math.max(...runs.map((x) => x.cpu.otherCores)),
  };
}

export function summarize(d) {
  const agg = Object.fromEntries(Object.entries(d.results).map(([id, r]) => [id, overRounds(r)]));
  const baseline = agg.a;
  const perRound = (x, y, f = (r) => r.rps) => (d.results[x] && d.results[y] ? d.results[x].runs.map((run, i) => f(run) / f(d.results[y].runs[i])) : null);
  const roundRatios = perRound("b", "a");
  // Background work of a key's object, per request of that key: usage flushes (D1 rows) and
  // alarms, over the requests the flushes have covered so far (api_keys.total_requests).
  const bg = (b) => {
    const n = b?.flushedRequests ?? 0;
    if (!n) return { d1RowsWritten: 0, d1RowsRead: 0, alarms: 0, tenantQuotaCalls: 0, covered: 0 };
    return {
      d1RowsWritten: (b.d1RowsWritten ?? 0) / n,
      d1RowsRead: (b.d1RowsRead ?? 0) / n,
      alarms: (b.alarms ?? 0) / n,
      tenantQuotaCalls: (b.tenantQuotaCalls ?? 0) / n,
      covered: n,
    };
  };
  const background = { b: bg(d.background.hot), c: bg(d.background.tiny) };
  for (const id of ["b-mf", "b-rpc", "b-c1"]) background[id] = background.b;
  const rows = {};
  for (const [id, r] of Object.entries(d.results)) {
    const g = agg[id];
    // The pass-throughs (a, a+s, a-mf) use no stores: their count columns are empty.
    const isBare = r.worker.includes("passthrough");
    const pair = PAIRED.exec(id);
    const base = pair ? agg[`a-${pair[1]}`] : baseline;
    const c = r.counts ?? { doCalls: 0, kvReads: 0, kvWrites: 0, d1Reads: 0, d1Writes: 0 };
    const extra = background[id] ?? { d1RowsWritten: 0, d1RowsRead: 0, alarms: 0, tenantQuotaCalls: 0 };
    // One key's object is busy for the whole run in b, c and n: an upper bound on its duration.
    const objectSecondsPerRequest = id.startsWith("b") || id === "c" || id === "n" ? 1 / g.rps : 0;
    rows[id] = {
      ...g,
      isBare,
      ratio: g.rps / base.rps,
      addedP50: g.p50 - base.p50,
      addedP99: g.p99 - base.p99,
      counts: c,
      ratelimitPerRequest: r.ratelimitPerRequest,
      background: extra,
      cost: costPerMillion({
        cpuMs: g.cpuUs / 1000,
        doCalls: c.doCalls + (c.backgroundDoCalls ?? 0) + extra.alarms + extra.tenantQuotaCalls,
        // Background refreshes are billed like any other read.
        kvReads: c.kvReads + (c.backgroundKvReads ?? 0),
        kvWrites: c.kvWrites,
        d1RowsRead: c.d1Reads + (c.backgroundD1Reads ?? 0) + extra.d1RowsRead,
        d1RowsWritten: c.d1Writes + extra.d1RowsWritten,
        objectSecondsPerRequest,
      }),
    };
  }
  const bare = rows.a.cost;
  // The naive design, measured (row n), or if it was not run: a KV read and a D1 row written per
  // request, its CPU taken as the bare pass-through's (a lower bound).
  const naive = rows.n?.cost ?? costPerMillion({ cpuMs: baseline.cpuUs / 1000, kvReads: 1, d1RowsWritten: 1 });
  const noLeases = d.edge.find((e) => e.delayMs === 0 && !e.leases);
  const perRequestObject = noLeases
    ? costPerMillion({
        cpuMs: noLeases.run.cpuUsPerRequest.workerd / 1000,
        doCalls: noLeases.counts?.doCalls ?? 1,
        objectSecondsPerRequest: 1 / agg.b.rps,
      })
    : null;

  const edgeBase = (leases) => d.edge.find((e) => e.delayMs === 0 && e.leases === leases);
  const edge = d.edge.map((e) => {
    const base = edgeBase(e.leases);
    return {
      delayMs: e.delayMs,
      leases: e.leases,
      rps: e.run.rps,
      p50: e.run.latencyMs.p50,
      p90: e.run.latencyMs.p90,
      p99: e.run.latencyMs.p99,
      mean: e.run.latencyMs.mean,
      addedP50: e.run.latencyMs.p50 - base.run.latencyMs.p50,
      addedP90: e.run.latencyMs.p90 - base.run.latencyMs.p90,
      addedP99: e.run.latencyMs.p99 - base.run.latencyMs.p99,
      addedMean: e.run.latencyMs.mean - base.run.latencyMs.mean,
      doCalls: e.counts?.doCalls ?? null,
      backgroundDoCalls: e.counts?.backgroundDoCalls ?? 0,
      cpuUs: e.run.cpuUsPerRequest.workerd,
      otherCores: e.run.cpu.otherCores,
    };
  });

  const hot = rows.b;
  const overAdmitted = d.accuracy.keys.reduce((n, k) => n + k.overAdmitted + k.windowOver, 0);
  const targets = issueTargets(d, rows, perRound);
  targets.push(
    { name: "zero over-admission (an invariant: the run fails otherwise)", value: `${overAdmitted} admitted over the theoretical maximum, ${d.accuracy.keys.length} buckets, ${d.accuracy.isolates} isolates`, met: overAdmitted === 0 },
    {
      name: `cost per million within ${TARGETS.costOverBare * 100}% of the bare Worker (issue 5)`,
      value: `$${hot.cost.total.toFixed(4)} vs $${bare.total.toFixed(4)} (+${((hot.cost.total / bare.total - 1) * 100).toFixed(1)}%)`,
      met: hot.cost.total <= bare.total * (1 + TARGETS.costOverBare),
    },
  );
  const unsaturated =
    rows["a-c1"] && rows["b-c1"]
      ? {
          a: rows["a-c1"],
          b: rows["b-c1"],
          addedP50: rows["b-c1"].p50 - rows["a-c1"].p50,
          addedP99: rows["b-c1"].p99 - rows["a-c1"].p99,
          roundsAddedP50: p50Rounds(d, "b-c1", "a-c1"),
          // The signing floor at one connection (absent from runs before it was added).
          floor: rows["a+s-c1"] ?? null,
          roundsFloorAddedP50: p50Rounds(d, "a+s-c1", "a-c1"),
          settledMs: ["a-c1", "a+s-c1", "b-c1"].filter((id) => d.results[id]).flatMap((id) => d.results[id].runs.map((run) => run.settled?.waitedMs ?? 0)),
        }
      : null;
  return { ...d, prices: PRICES, baseline, roundRatios, rows, unsaturated, costs: { bare, naive, perRequestObject, hot: hot.cost }, edgeRows: edge, targets };
}

/** Issue 18's five targets, each with its same-run value; `met: null` when a row it needs was not run. */
function issueTargets(d, rows, perRound) {
  const hot = rows.b;
  const a = rows.a;
  const list = (xs, digits = 2) => xs.map((x) => x.toFixed(digits)).join(", ");
  const out = [];

  const floor = rows["a+s"];
  const floorRatio = hot.rps / floor.rps;
  out.push({
    name: `(1) keygate hot path (b) ≥ ${TARGETS.signingFloorRatio}× the throughput of the signing floor (a+s)`,
    value:
      `${floorRatio.toFixed(3)}× (${hot.rps.toFixed(0)} vs ${floor.rps.toFixed(0)} req/s; rounds: ${list(perRound("b", "a+s"), 3)}); ` +
      `against the bare pass-through (a): b ${hot.ratio.toFixed(2)}×, a+s ${floor.ratio.toFixed(2)}×; ` +
      `workerd CPU per request b ${hot.cpuUs.toFixed(0)}, a+s ${floor.cpuUs.toFixed(0)}, a ${a.cpuUs.toFixed(0)} µs`,
    met: floorRatio >= TARGETS.signingFloorRatio,
  });

  const ua = rows["a-c1"];
  const ub = rows["b-c1"];
  if (ua && ub) {
    // Per round (a and b measured back to back), then the median: one disturbed round moves a mean of three.
    const rounds = p50Rounds(d, "b-c1", "a-c1");
    const floorRounds = p50Rounds(d, "a+s-c1", "a-c1");
    const added = median(rounds);
    out.push({
      name: `(2) unsaturated added latency at 1 connection ≤ ${TARGETS.addedP50Ms} ms p50 over the bare pass-through`,
      value:
        `p50 b − a = ${signed(added)} ms, the median over rounds (rounds: ${rounds.map(signed).join(", ")}; means: a ${ms(ua.p50)}, b ${ms(ub.p50)} ms); ` +
        `p99 a ${ms(ua.p99)}, b ${ms(ub.p99)} ms (${signed(ub.p99 - ua.p99)}); wrk -t1 -c1, no think time` +
        (floorRounds ? `; of it the signing floor alone (a+s − a): ${signed(median(floorRounds))} ms` : ""),
      met: added <= TARGETS.addedP50Ms,
    });
  } else out.push({ name: `(2) unsaturated added latency at 1 connection ≤ ${TARGETS.addedP50Ms} ms p50`, value: "not measured", met: null });

  const c = hot.counts;
  const d1 = c.d1Reads + c.d1Writes;
  const kv = c.kvReads + c.kvWrites;
  const bgReads = (c.backgroundKvReads ?? 0) + (c.backgroundD1Reads ?? 0);
  out.push({
    name: `(3) per hot request 0 D1 and 0 KV operations, ≤ ${TARGETS.waitedObjectCalls} object calls waited for`,
    value:
      `${fmt(d1, 6)} D1, ${fmt(kv, 6)} KV, ${fmt(c.doCalls, 6)} object calls waited for per request (Server-Timing over ${c.sampled ?? 0} requests of b); ` +
      `not waited for: ${fmt(c.backgroundDoCalls ?? 0, 4)} object calls (lease renewals) and ${fmt(bgReads, 6)} KV/D1 reads ` +
      `(${Math.round(bgReads * (c.sampled ?? 0))} refreshes of the isolate's 10 s copies of key and tenant) per request; ` +
      `the key's object wrote ${fmt(hot.background.d1RowsWritten, 6)} D1 rows per request in the background (usage flushes)`,
    met: c.sampled ? d1 === 0 && kv === 0 && c.doCalls <= TARGETS.waitedObjectCalls : null,
  });

  const ra = rows["a-rpc"];
  const rb = rows["b-rpc"];
  if (ra && rb) {
    out.push({
      name: `(4) RPC path: keygate to a Worker origin over a service binding (b-rpc) ≥ ${TARGETS.rpcRatio}× a bare pass-through over the same binding (a-rpc)`,
      value:
        `${rb.ratio.toFixed(3)}× (${rb.rps.toFixed(0)} vs ${ra.rps.toFixed(0)} req/s; rounds: ${list(perRound("b-rpc", "a-rpc"), 3)}); ` +
        `workerd CPU per request b-rpc ${rb.cpuUs.toFixed(0)}, a-rpc ${ra.cpuUs.toFixed(0)} µs; ` +
        `store calls per b-rpc request: ${fmt(rb.counts.d1Reads + rb.counts.d1Writes, 6)} D1, ${fmt(rb.counts.kvReads + rb.counts.kvWrites, 6)} KV, ${fmt(rb.counts.doCalls, 6)} object calls waited for`,
      met: rb.ratio >= TARGETS.rpcRatio,
    });
  } else out.push({ name: `(4) RPC path: b-rpc ≥ ${TARGETS.rpcRatio}× a-rpc`, value: "not measured: keygate's route table takes no rpc routes in this tree", met: null });

  const n = rows.n;
  out.push(
    n
      ? {
          name: "(5) the naive seed design as a peer row (n): KV read + object call + D1 write per request",
          value:
            `${n.rps.toFixed(0)} req/s = ${n.ratio.toFixed(2)}× (a); keygate (b) does ${(hot.rps / n.rps).toFixed(2)}× its throughput; ` +
            `p50 ${ms(n.p50)} vs ${ms(hot.p50)} ms (b); per request ${fmt(n.counts.kvReads, 3)} KV reads, ${fmt(n.counts.doCalls, 3)} object calls, ${fmt(n.counts.d1Writes, 3)} D1 writes; ` +
            `$${n.cost.total.toFixed(4)}/M vs $${hot.cost.total.toFixed(4)}/M (b)`,
          met: true,
        }
      : { name: "(5) the naive seed design as a peer row (n)", value: "not run", met: false },
  );
  return out;
}

/** Calls started by requests but not waited for, after the ones they waited for. */
const notWaited = (n) => (n ? ` (+${fmt(n, 4)} bg)` : "");

function fmt(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (n === 0) return "0";
  if (Math.abs(n) < 10 ** -digits) return n.toExponential(1);
  return n.toFixed(digits);
}
const ms = (n) => fmt(n, 2);
const signed = (n) => (n >= 0 ? `+${ms(n)}` : ms(n));
const money = (n) => `$${n.toFixed(4)}`;

export function renderMarkdown(s) {
  const L = [];
  const P = s.settings;
  L.push(`# keygate benchmark (${s.mode} run)`);
  L.push("");
  L.push(
    `${s.date.slice(0, 16).replace("T", " ")} UTC · ${s.machine.nproc} cores (${s.machine.cpuModel}), ${s.machine.memoryGiB} GiB, ${s.machine.kernel} · ` +
      `Node ${s.versions.node}, ${s.versions.workerd}, wrangler ${s.versions.wrangler}, miniflare ${s.versions.miniflare}, ${s.versions.wrk} · ` +
      `bundle ${P.bundleSize} · the run took ${s.durationS} s`,
  );
  L.push("");
  L.push(
    `Load: \`wrk -t1 -c${P.connections}\` on loopback, POST /v1/query (/v1/rpc for the RPC rows) with an 18-byte JSON body; ${P.rounds} round${P.rounds > 1 ? "s" : ""} of every scenario in turn, ` +
      `${P.measureS} s each after ${P.warmS ? `${P.warmS} s of warm-up` : "a short warm-up"} (numbers are means over the rounds). ` +
      `One workerd process (Miniflare, a direct loopback socket per Worker) serves everything; the origin is a Node process answering 200. ` +
      (P.sampleS
        ? `Store counts: the Server-Timing header summed over every response of a separate run of the same kind (${P.longSampleS} s for b, c, d', e', longer than the 10 s isolate-cache and failure-filter windows, so periodic refreshes are in the counts; ${P.sampleS} s for the others).`
        : "Store counts: the Server-Timing header summed over every response of the same run."),
  );
  L.push("");
  L.push("## Throughput and latency");
  L.push("");
  L.push("| scenario | req/s | p50 ms | p99 ms | × (a) | added p50 / p99 ms | workerd CPU µs/req | DO calls/req | KV reads/req | D1 reads/req | D1 writes/req | filter calls/req | statuses (sample) | $/M req |");
  L.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [id, r] of Object.entries(s.rows)) {
    const res = s.results[id];
    if (res.unsaturated) continue;
    const c = r.counts;
    const statuses = c.statuses ? Object.entries(c.statuses).map(([k, v]) => `${k}×${v}`).join(" ") : "–";
    const range = r.rounds > 1 ? ` (${r.rpsMin.toFixed(0)}–${r.rpsMax.toFixed(0)})` : "";
    const na = r.isBare;
    const reference = id === "a" || id === "a-mf" || id === "a-rpc";
    L.push(
      `| ${res.label}${res.keysReused ? " ¹" : ""} | ${r.rps.toFixed(0)}${range} | ${ms(r.p50)} | ${ms(r.p99)} | ${reference ? "1" : r.ratio.toFixed(2)} | ${reference ? "–" : `${signed(r.addedP50)} / ${signed(r.addedP99)}`} | ${r.cpuUs.toFixed(0)} | ` +
        `${na ? "– ²" : fmt(c.doCalls, 4) + notWaited(c.backgroundDoCalls)} | ${na ? "–" : fmt(c.kvReads, 4) + notWaited(c.backgroundKvReads)} | ${na ? "–" : fmt(c.d1Reads, 4)} | ${na ? "–" : fmt(c.d1Writes, 4)} | ${r.ratelimitPerRequest == null ? "–" : fmt(r.ratelimitPerRequest, 3)} | ${statuses} | ${money(r.cost.total)} |`,
    );
  }
  L.push("");
  L.push(
    `req/s in brackets: the lowest and highest round. × (a) and added latency are against (a); for the -mf rows against (a) with the interceptor, for (b-rpc) against (a-rpc). ` +
      `"filter calls": calls to the AUTH_FAILURES rate-limiting binding, counted by the bench's wrapper (keygate isolate only). ` +
      `² the pass-throughs have no bindings. "bg": calls a request started but did not wait for (lease renewals, stale cache copies refreshed). (a+s) is (a) plus keygate's body digest and Ed25519 signature (bench/workers/signing-passthrough.ts) and nothing else. ` +
      `(n) is the naive seed design (bench/workers/naive.ts): per request a KV read of the key's record, a call to the key's SQLite-backed object (a token bucket written to storage on every call) and a D1 INSERT of a usage row, each awaited, then a plain fetch of the origin. ` +
      `(a-rpc) calls a Worker origin's entrypoint method (bench/workers/rpc-origin.ts, \`handle(request, caller)\`) over a service binding with the request as it came (bench/workers/rpc-passthrough.ts); (b-rpc) is keygate's route \`/v1/rpc\` (\`service: "RPC_ORIGIN", rpc: "handle"\`) to the same entrypoint: no digest, no signature, the body streamed. ` +
      (Object.values(s.results).some((r) => r.keysReused) ? "¹ more requests than distinct keys: some keys repeated. " : "") +
      `CPU: the workerd process's utime+stime over the runs ÷ requests; the Worker, the key objects and, locally, Miniflare's D1/KV/rate-limit simulators all run in it.`,
  );
  L.push("");
  const others = Object.entries(s.rows).filter(([id]) => !s.results[id].unsaturated).map(([id, r]) => `${id} ${Math.round(r.wrkUs)}/${Math.round(r.originUs)}`);
  L.push(`wrk/origin CPU µs per request: ${others.join(", ")}. Other processes on the machine used at most ${fmt(Math.max(...Object.values(s.rows).map((r) => r.otherCoresMax)), 2)} cores during a measured run` +
    (s.waits.length ? `; the bench waited ${fmt(s.waits.reduce((n, w) => n + w.waitedMs, 0) / 1000, 1)} s in total for a quieter machine.` : "."));
  L.push("");
  const bg = s.rows.b.background;
  L.push(
    `In the background (off the request path) the hot key's object wrote ${fmt(bg.d1RowsWritten, 6)} D1 rows (usage flushes, D1's own rows_written), ran ${fmt(bg.alarms, 6)} alarms and ` +
      `made ${fmt(bg.tenantQuotaCalls, 6)} tenant-quota calls per request, over the ${bg.covered} requests its flushes had covered.`,
  );
  L.push("");
  if (s.unsaturated) {
    const u = s.unsaturated;
    L.push("## Unsaturated latency: one connection");
    L.push("");
    L.push(
      `\`wrk -t1 -c1\`, no think time, ${P.measureS} s per round after the same warm-up, in every round right after the throughput scenarios: one request in flight, so the machine is far from saturated and the difference is what keygate adds to a request, not queueing. ` +
        `The hot key of (b); the same origin. Before each run the bench waits (10 s at most) until workerd is idle (under 5% of a core for 250 ms), so that background work the scenarios before left running does not land in it (it waited ${fmt(u.settledMs.reduce((a, b) => a + b, 0) / 1000, 1)} s in all). ` +
        `The table gives means over the rounds; the added p50 is the median of the per-round differences.`,
    );
    L.push("");
    L.push("| scenario | req/s | p50 ms | p99 ms | workerd CPU µs/req |");
    L.push("|---|---|---|---|---|");
    for (const [id, r] of [["a-c1", u.a], ["a+s-c1", u.floor], ["b-c1", u.b]]) if (r) L.push(`| ${s.results[id].label} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.cpuUs.toFixed(0)} |`);
    L.push("");
    L.push(`Added by keygate at one connection: p50 **${signed(median(u.roundsAddedP50))} ms** (median of rounds: ${u.roundsAddedP50.map(signed).join(", ")}), p99 ${signed(u.addedP99)} ms (means).`);
    if (u.roundsFloorAddedP50) {
      const beyond = u.roundsAddedP50.map((x, i) => x - u.roundsFloorAddedP50[i]);
      L.push(
        `Of that, the signing floor alone (a+s) adds p50 ${signed(median(u.roundsFloorAddedP50))} ms (rounds: ${u.roundsFloorAddedP50.map(signed).join(", ")}), ` +
          `and keygate beyond the floor ${signed(median(beyond))} ms (rounds: ${beyond.map(signed).join(", ")}).`,
      );
    }
    L.push("");
  }
  L.push("## Limits under load: accuracy");
  L.push("");
  L.push(
    `${s.accuracy.clients} concurrent clients (fetch loops) for ${s.accuracy.seconds} s, spread over ${s.accuracy.keys.length} keys and ${s.accuracy.isolates} isolates (two Workers running the same bundle, bound to the same KeyLimiter namespace). ` +
      `Theoretical maximum = capacity + refill × the key's elapsed time (first request sent to last answer received: a window that holds every debit). ` +
      `The 1 s window column counts only requests sent and answered inside the window.`,
  );
  L.push("");
  L.push("| bucket | requests | admitted | theoretical max | over-admitted | under-admitted | most admitted in a 1 s window (bound) | refused | object calls/req |");
  L.push("|---|---|---|---|---|---|---|---|---|");
  for (const k of s.accuracy.keys) {
    L.push(
      `| ${k.label} | ${k.requests} | ${k.admitted} | ${k.theoreticalMax.toFixed(1)} | ${k.overAdmitted} | ` +
        (k.refused > 0 ? `${k.underAdmitted.toFixed(1)} (${((k.underAdmitted / k.theoreticalMax) * 100).toFixed(1)}%)` : "– (never refused: demand, not the bucket, was the limit)") +
        " | " +
        `${k.windowMax} (${k.windowBound}) | ${k.refused}${Object.keys(k.other).length ? ` + ${JSON.stringify(k.other)}` : ""} | ${fmt(k.doCallsPerRequest, 3)} |`,
    );
  }
  L.push("");
  L.push("## Simulated edge: a delay on every Durable Object call");
  L.push("");
  L.push(
    `The same bundle behind bench/workers/keygate-edge.ts, which adds the delay (half before, half after) to every call the isolate makes to a key's object. ` +
      `\`wrk -t${P.edge.keys} -c${P.edge.keys}\` for ${P.edgeS} s: one connection per key (${P.edge.keys} keys with big buckets), each waiting ${P.edge.thinkMs} ms after every answer, so the machine is far from saturated and a key never has two requests in flight. ` +
      `"Without leases": every acquire asks for exactly its cost, so no lease is kept and each admitted request calls the object (what a gateway without leases does). ` +
      `Added latency is against the same setting with no delay.`,
  );
  L.push("");
  L.push("| leases | delay per object call | req/s | p50 ms | p90 ms | p99 ms | mean ms | added p50 / p90 / mean ms | object calls/req waited for | in the background | waited calls/req × delay ms |");
  L.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const e of s.edgeRows) {
    L.push(
      `| ${e.leases ? "on" : "off"} | ${e.delayMs} ms | ${e.rps.toFixed(0)} | ${ms(e.p50)} | ${ms(e.p90)} | ${ms(e.p99)} | ${ms(e.mean)} | ` +
        `${e.delayMs ? `${signed(e.addedP50)} / ${signed(e.addedP90)} / ${signed(e.addedMean)}` : "–"} | ${fmt(e.doCalls, 4)} | ${fmt(e.backgroundDoCalls, 4)} | ${e.delayMs ? ms((e.doCalls ?? 0) * e.delayMs) : "–"} |`,
    );
  }
  L.push("");
  L.push(
    `"waited calls/req × delay" is the latency the delay must add on average, from the counted calls a request waited for. "In the background": lease renewals a request started but did not wait for (Server-Timing bg-do-call); a steady key's lease is renewed before it runs out, so with leases almost no request waits for the object.`,
  );
  L.push("");
  L.push(`## Cost per million requests (list prices as of ${s.prices.asOf}, ${s.prices.source})`);
  L.push("");
  L.push("| design | requests | CPU | DO requests | DO duration (upper bound) | KV | D1 | total | vs bare |");
  L.push("|---|---|---|---|---|---|---|---|---|");
  const costRow = (name, c) =>
    `| ${name} | ${money(c.parts.requests)} | ${money(c.parts.cpu)} | ${money(c.parts.doRequests)} | ${money(c.parts.doDuration)} | ${money(c.parts.kv)} | ${money(c.parts.d1)} | **${money(c.total)}** | ${(c.total / s.costs.bare.total).toFixed(2)}× |`;
  L.push(costRow("bare pass-through Worker (a)", s.costs.bare));
  L.push(costRow("keygate hot path (b)", s.costs.hot));
  L.push(costRow("keygate refusing, 429 (c)", s.rows.c.cost));
  L.push(costRow("keygate, unknown-key flood, new IP per request (d)", s.rows.d.cost));
  L.push(costRow("keygate, malformed keys, new IP per request (e)", s.rows.e.cost));
  if (s.costs.perRequestObject) L.push(costRow("an object call per request (keygate without leases)", s.costs.perRequestObject));
  L.push(costRow(s.rows.n ? "naive seed design (n): a KV read, an object call and a D1 write per request" : "naive: a KV read and a D1 write per request", s.costs.naive));
  L.push("");
  L.push(
    `Prices: Workers $${PRICES_TEXT(s.prices)}. CPU is the measured workerd CPU per request (it includes runtime work Cloudflare does not bill, so it overstates). ` +
      `DO duration assumes the key's object stays active for the whole run (it is billed only while active, 128 MB); ` +
      `D1 statements are taken as one row each; the hot path's D1 is its object's usage flushes. ` +
      (s.rows.n ? "The naive design's row is measured like keygate's (its CPU, its counted calls, its object active for the whole run). " : "The naive design's CPU is taken as the pass-through's. ") +
      `The rate-limiting binding has no listed price and is not included. Included monthly allowances are ignored.`,
  );
  L.push("");
  if (s.analyticsCpu?.length) {
    L.push("## What analytics and access rules add to a request");
    L.push("");
    L.push("The `outcome` stage's own work and the access-rule checks of a key with rules set, timed alone in Node over the Worker's modules (`bench/analytics-cpu.mjs`); their store calls are in the table above (the hot path's D1/KV counts include them and stay 0: rules come from the cached key and its lease).");
    L.push("");
    L.push("| request | CPU µs |");
    L.push("|---|---|");
    for (const r of s.analyticsCpu) L.push(`| ${r.label} | ${r.usPerRequest.toFixed(2)} |`);
    L.push("");
  }
  L.push("## Targets");
  L.push("");
  L.push("Same-run ratios and differences (issue 18's five, then the invariant and issue 5's cost target). Targets are reported, not enforced: they depend on the machine; a broken invariant fails the run.");
  L.push("");
  L.push("| target | measured | met |");
  L.push("|---|---|---|");
  for (const t of s.targets) L.push(`| ${t.name} | ${t.value} | ${t.met === null ? "– (not measured)" : t.met ? "yes" : "**no**"} |`);
  L.push("");
  if (s.problems.length) {
    L.push("## Invariants that failed");
    L.push("");
    for (const p of s.problems) L.push(`- ${p}`);
    L.push("");
  }
  return L.join("\n");
}

function PRICES_TEXT(p) {
  return (
    `${p.workerRequestsPerM}/M requests, $${p.cpuPerMms}/M CPU-ms; KV $${p.kvReadsPerM}/M reads, $${p.kvWritesPerM}/M writes; ` +
    `DO $${p.doRequestsPerM}/M requests, $${p.doGbSecondsPerM}/M GB-s; D1 $${p.d1RowsReadPerM}/M rows read, $${p.d1RowsWrittenPerM}/M rows written`
  );
}

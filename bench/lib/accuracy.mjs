// The accuracy run of bench/run.mjs: small buckets, many concurrent clients, two isolates.
const BODY = '{"sql":"select 1"}';

/** Request headers of the bench's fetch loops: a key (or none), JSON, the client IP. */
export const headers = (key, ip) => ({
  ...(key ? { authorization: `Bearer ${key}` } : {}),
  "content-type": "application/json",
  "cf-connecting-ip": ip,
});

/** `n` requests one after the other (warm-up without wrk). */
export async function warmByFetch(url, key, n, ip) {
  for (let i = 0; i < n; i++) {
    const r = await fetch(url, { method: "POST", headers: headers(key, ip), body: BODY, signal: AbortSignal.timeout(10_000) });
    await r.arrayBuffer();
  }
}

function serverTiming(value) {
  const out = {};
  for (const m of (value ?? "").matchAll(/([\w-]+);desc="(\d+)"/g)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Concurrent fetch loops (this process), spread over the keys and over two isolates that share the
 * keys' objects. Per key: admitted (200) against capacity + refill × the key's elapsed time, from
 * the first request sent to the last answer received (a window containing every debit), and the
 * most admitted in any 1-second window, counting only requests sent and answered inside it.
 */
export async function measureAccuracy(bases, keys, { seconds, clients, ip }) {
  const per = keys.map((k) => ({ ...k, admitted: 0, refused: 0, other: {}, doCalls: 0, first: Infinity, last: 0, spans: [] }));
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const k = per[i % per.length];
      const round = Math.floor(i / per.length);
      const base = bases[round % bases.length];
      const key = k.keys[Math.floor(round / bases.length) % k.keys.length];
      while (performance.now() < deadline) {
        const sent = performance.now();
        if (sent < k.first) k.first = sent;
        const r = await fetch(`${base}/v1/query`, { method: "POST", headers: headers(key, ip), body: BODY, signal: AbortSignal.timeout(10_000) });
        await r.arrayBuffer();
        const received = performance.now();
        if (received > k.last) k.last = received;
        const timing = serverTiming(r.headers.get("server-timing"));
        k.doCalls += (timing["do-call"] ?? 0) + (timing["bg-do-call"] ?? 0); // waited for or not
        if (r.status === 200) {
          k.admitted++;
          k.spans.push([sent, received]);
        } else if (r.status === 429) k.refused++;
        else k.other[r.status] = (k.other[r.status] ?? 0) + 1;
      }
    }),
  );
  return {
    clients,
    isolates: bases.length,
    seconds,
    keys: per.map((k) => {
      const elapsedS = (k.last - k.first) / 1000;
      const max = k.capacity + k.refillPerSecond * elapsedS;
      const spans = k.spans.sort((a, b) => a[0] - b[0]);
      let windowMax = 0;
      for (let i = 0; i < spans.length; i++) {
        let n = 0;
        for (let j = i; j < spans.length && spans[j][0] < spans[i][0] + 1000; j++) if (spans[j][1] <= spans[i][0] + 1000) n++;
        windowMax = Math.max(windowMax, n);
      }
      const windowBound = k.capacity + k.refillPerSecond * 1;
      const requests = k.admitted + k.refused + Object.values(k.other).reduce((a, b) => a + b, 0);
      return {
        label: k.label ?? `capacity ${k.capacity}, refill ${k.refillPerSecond}/s`,
        capacity: k.capacity,
        refillPerSecond: k.refillPerSecond,
        elapsedS,
        requests,
        admitted: k.admitted,
        refused: k.refused,
        other: k.other,
        theoreticalMax: max,
        overAdmitted: Math.max(0, k.admitted - Math.floor(max + 1e-9)),
        underAdmitted: max - k.admitted,
        windowMax,
        windowBound,
        windowOver: Math.max(0, windowMax - Math.floor(windowBound + 1e-9)),
        doCallsPerRequest: requests ? k.doCalls / requests : 0,
      };
    }),
  };
}

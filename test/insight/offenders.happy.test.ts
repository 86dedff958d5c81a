// GET /v1/analytics/offenders: networks ranked by failed authentications, per outcome, over whole
// hours, from rows written as the isolates write them.
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/analytics/rollup.ts";
import { isoOf, privateDay, seedOffenders } from "../support/analytics-seed.ts";
import { call, platformKey } from "../support/gateway.ts";

let platform: string;
const H0 = privateDay() + 7 * HOUR_MS;

beforeAll(async () => {
  platform = await platformKey();
  await seedOffenders([
    { at: H0, network: "203.0.113.0/24", outcome: "unknown_key", requests: 40 },
    { at: H0 + 30 * MINUTE_MS, network: "203.0.113.0/24", outcome: "malformed_key", requests: 2 },
    { at: H0, network: "2001:db8:1::/48", outcome: "unknown_key", requests: 10 },
    { at: H0 + 59 * MINUTE_MS, network: "198.51.100.0/24", outcome: "missing_credential", requests: 25 },
    { at: H0, network: "unknown", outcome: "revoked", requests: 10 },
    { at: H0 + HOUR_MS, network: "203.0.113.0/24", outcome: "unknown_key", requests: 5 },
    { at: H0 + HOUR_MS, network: "192.0.2.0/24", outcome: "expired", requests: 1 },
    { at: H0 - HOUR_MS, network: "192.0.2.0/24", outcome: "expired", requests: 1000 },
  ]);
});

async function offenders(query: Record<string, string>) {
  const res = await call(`/v1/analytics/offenders?${new URLSearchParams(query)}`, { key: platform });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text);
}

describe("GET /v1/analytics/offenders", () => {
  it("most failures first, with each outcome; from floored and to rounded up to the hour", async () => {
    const body = await offenders({ from: isoOf(H0 + 10 * MINUTE_MS), to: isoOf(H0 + HOUR_MS + 5 * MINUTE_MS) });
    expect(body.from).toBe(isoOf(H0));
    expect(body.to).toBe(isoOf(H0 + 2 * HOUR_MS));
    expect(body.data).toEqual([
      { network: "203.0.113.0/24", requests: 47, outcomes: { unknown_key: 45, malformed_key: 2 } },
      { network: "198.51.100.0/24", requests: 25, outcomes: { missing_credential: 25 } },
      // A tie is broken by the network, so pages are stable.
      { network: "2001:db8:1::/48", requests: 10, outcomes: { unknown_key: 10 } },
      { network: "unknown", requests: 10, outcomes: { revoked: 10 } },
      { network: "192.0.2.0/24", requests: 1, outcomes: { expired: 1 } },
    ]);
  });

  it("limit keeps the top networks, each with all of its outcomes", async () => {
    const body = await offenders({ from: isoOf(H0), to: isoOf(H0 + 2 * HOUR_MS), limit: "1" });
    expect(body.data).toEqual([{ network: "203.0.113.0/24", requests: 47, outcomes: { unknown_key: 45, malformed_key: 2 } }]);
  });

  it("one hour only", async () => {
    const body = await offenders({ from: isoOf(H0 + HOUR_MS + MINUTE_MS), to: isoOf(H0 + HOUR_MS + 2 * MINUTE_MS) });
    expect(body).toEqual({
      from: isoOf(H0 + HOUR_MS),
      to: isoOf(H0 + 2 * HOUR_MS),
      data: [
        { network: "203.0.113.0/24", requests: 5, outcomes: { unknown_key: 5 } },
        { network: "192.0.2.0/24", requests: 1, outcomes: { expired: 1 } },
      ],
    });
  });

  it("defaults: the last 24 hours, in whole hours, at most 20 networks", async () => {
    const before = Date.now();
    const body = await offenders({});
    const after = Date.now();
    const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
    const [from, to] = [Date.parse(body.from), Date.parse(body.to)];
    expect(to % HOUR_MS).toBe(0);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThan(after + HOUR_MS);
    expect(from).toBeGreaterThanOrEqual(floorHour(before - DAY_MS));
    expect(from).toBeLessThanOrEqual(floorHour(after - DAY_MS));
    expect(body.data.length).toBeLessThanOrEqual(20);
  });
});

// Property-based: hostile credentials and headers against every path. Whatever a client sends in
// Authorization / X-API-Key (any scheme, case, spacing, repetition, unicode, control characters,
// huge values, keys with a valid checksum that were never issued, real keys slightly changed,
// keys of every refused state), the gateway answers with a documented problem, never a 5xx,
// never echoes a key, and writes nothing to D1. Plus the per-IP filter on failed authentication.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asHeaderValue,
  base62,
  captureLogs,
  contentTypeArb,
  expectEveryTableWatched,
  fc,
  freshIp,
  Harness,
  hostileKeyArb,
  hostileSegmentArb,
  isFaultRoute,
  keyFixture,
  methodArb,
  operations,
  problemType,
  queryArb,
  report,
  secretsOf,
  unknownKeyArb,
  type Case,
  type Fixture,
  type Operation,
} from "../support/hostile.ts";

const logs = captureLogs();
let fx: Fixture;
let ops: Operation[];
let secrets: string[];
const started = Date.now();
const harnesses: [string, Harness][] = [];

beforeAll(async () => {
  fx = await keyFixture();
  ops = (await operations()).ops;
  secrets = secretsOf([fx.platform, fx.admin.key, fx.other.admin.key, ...fx.refused.map((r) => r.key)]);
  await expectEveryTableWatched();
}, 30_000);

afterAll(() => {
  for (const [name, h] of harnesses) report(logs.print, name, h, started);
});

function harness(name: string): Harness {
  const h = new Harness({ secrets }, logs);
  harnesses.push([name, h]);
  return h;
}

const SCHEMES = ["Bearer", "bearer", "BEARER", "BeArEr", "Basic", "Token", "Bearer:", "Digest", "", "Bearer Bearer", "Bearer,"];
const SEPARATORS = [" ", "  ", "\t", "", " \t ", "\x0b", "\x1f", ", "];
const CREDENTIAL_NAMES = ["Authorization", "authorization", "AUTHORIZATION", "X-API-Key", "x-api-key", "X-API-KEY", "x-Api-Key"];
const NOISE_NAMES = [
  "x-request-id",
  "X-Keygate-Key-Id",
  "x-keygate-tenant-id",
  "X-KEYGATE-SCOPES",
  "signature",
  "Signature-Input",
  "content-digest",
  "cookie",
  "proxy-authorization",
  "x-forwarded-for",
  "forwarded",
  "idempotency-key",
  "origin",
  "accept",
  "x-http-method-override",
  "x-original-url",
  "x-rewrite-url",
  "if-none-match",
  "range",
];

function credentialHeaders(keys: fc.Arbitrary<string>): fc.Arbitrary<[string, string][]> {
  const authorization = fc
    .tuple(fc.constantFrom(...CREDENTIAL_NAMES.slice(0, 3)), fc.constantFrom(...SCHEMES), fc.constantFrom(...SEPARATORS), keys)
    .map(([n, s, sep, k]): [string, string] => [n, asHeaderValue(s + sep + k)]);
  const apiKey = fc.tuple(fc.constantFrom(...CREDENTIAL_NAMES.slice(3)), keys).map(([n, k]): [string, string] => [n, asHeaderValue(k)]);
  const one = fc.oneof(authorization, apiKey);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
    { weight: 6, arbitrary: one.map((h) => [h]) },
    { weight: 3, arbitrary: fc.array(one, { minLength: 2, maxLength: 4 }) }, // repeated, or both
    {
      weight: 1,
      // The same key twice, in both places: two methods, refused like two keys (RFC 6750 §2).
      arbitrary: keys.map((k): [string, string][] => [
        ["Authorization", asHeaderValue(`Bearer ${k}`)],
        ["X-API-Key", asHeaderValue(k)],
      ]),
    },
  );
}

const secretKeys = () => [fx.admin.key, ...fx.refused.map((r) => r.key)];
const noiseHeaders = (_keys: fc.Arbitrary<string>, unicode: boolean) =>
  fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...NOISE_NAMES), fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/)),
      fc.oneof(
        fc.string({ unit: "binary-ascii", maxLength: 60 }).map(asHeaderValue),
        fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
        // Whole keys, real or not, in headers that are not credentials (X-Request-Id, Cookie…).
        fc.oneof(unknownKeyArb, fc.constantFrom(...secretKeys())),
        base62(1000, 8000),
        ...(unicode ? [fc.string({ unit: "grapheme", maxLength: 20 }).map(asHeaderValue)] : []),
      ),
    ),
    { maxLength: 4 },
  );

function pathArb(realIds: string[]): fc.Arbitrary<string> {
  const templates = [...new Set(ops.map((o) => o.path))];
  const id = fc.oneof(fc.constantFrom(...realIds), hostileSegmentArb);
  const fromTemplate = fc.constantFrom(...templates).chain((t) => (t.includes("{id}") ? id.map((v) => t.replace("{id}", v)) : fc.constant(t)));
  const roots = ["/v1", "/v1/keys", "/v1/tenants", "/v1/jobs", "/v1/audit", "/", "/health", "/V1/keys", "/v1//keys", "/v2/keys", "/v1/keys/", "/.well-known", "/v1/echo"];
  const freeform = fc.tuple(fc.constantFrom(...roots), fc.array(hostileSegmentArb, { maxLength: 3 })).map(([r, segs]) => [r, ...segs].join("/"));
  return fc.oneof({ weight: 3, arbitrary: fromTemplate }, { weight: 2, arbitrary: freeform }).filter((p) => !isFaultRoute(new URL("https://gw.test" + p).pathname));
}

describe("fuzz: credentials and headers on every path", () => {
  function credentialCases(unicode: boolean) {
    const real = [fx.admin.key, ...fx.refused.map((r) => r.key)];
    const keys = hostileKeyArb(real, { unicode });
    // Ids of things a valid key in this run may not change (the refused keys must stay refused,
    // the admin key valid): another tenant's (404), and tenants (platform scope only).
    const realIds = [fx.other.admin.id, fx.tenant.id, fx.other.tenant.id, fx.refused.find((r) => r.kind === "tenant-inactive")!.id];
    return fc
      .record({
        method: methodArb,
        path: pathArb(realIds),
        query: queryArb([]),
        credentials: credentialHeaders(keys),
        // Non-ASCII only in the credential: workerd warns on stderr for every such header.
        noise: noiseHeaders(keys, false),
        contentType: fc.option(contentTypeArb),
        body: fc.option(fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ unit: "binary", maxLength: 200 }))),
      })
      .map((x): Case => {
        const headers: [string, string][] = [...x.credentials, ...x.noise];
        if (x.contentType !== null) headers.push(["content-type", x.contentType]);
        return { method: x.method, target: x.path + x.query, headers, body: x.body, label: "credentials" };
      });
  }

  it("hostile Authorization / X-API-Key / header combinations: documented problems only, nothing leaked or written", async () => {
    const h = harness("credentials");
    await fc.assert(
      fc.asyncProperty(credentialCases(false), async (c) => void (await h.run(c))),
      { numRuns: 3300 },
    );
    expect(h.stats.unsendable, h.summary()).toBeLessThan(h.stats.sent * 0.05);
    // The generators reach every way of failing authentication, not just one.
    for (const kind of ["missing-credential", "malformed-key", "unknown-key", "invalid-request", "revoked-key", "disabled-key", "expired-key", "tenant-inactive"] as const) {
      expect(h.stats.byType.get(problemType(kind)) ?? 0, `${kind} never produced: ${h.summary()}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it("the same with non-ASCII keys and header values (sent as UTF-8 bytes)", async () => {
    const h = harness("credentials, unicode");
    await fc.assert(
      fc.asyncProperty(credentialCases(true), async (c) => void (await h.run(c))),
      { numRuns: 25 },
    );
  }, 60_000);

  it("a key in every refused state gets exactly its own problem, in either header (in both: invalid-request), on any /v1 path", async () => {
    const h = harness("refused states");
    const v1 = ops.filter((o) => o.path.startsWith("/v1/") && !isFaultRoute(o.path.replace("{id}", "x")));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fx.refused),
        fc.constantFrom(...v1),
        fc.constantFrom("bearer", "x-api-key", "both"),
        base62(8, 20),
        async (state, op, where, id) => {
          const headers: [string, string][] = [];
          if (where !== "x-api-key") headers.push(["Authorization", `Bearer ${state.key}`]);
          if (where !== "bearer") headers.push(["X-API-Key", state.key]);
          const res = await h.run({ method: op.method, target: op.path.replace("{id}", `key_${id}`), headers, body: op.method === "GET" ? null : "{}" });
          // In both headers it is two methods, refused before the key is looked at.
          const kind = where === "both" ? "invalid-request" : state.kind;
          expect(res!.status).toBe(kind === "tenant-inactive" ? 403 : kind === "invalid-request" ? 400 : 401);
          expect(h.stats.byType.has(problemType(kind))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe("fuzz: the per-IP filter on failed authentication", () => {
  // Keys that reach the lookup (a missing credential or two of them are refused earlier and are
  // not counted as failed lookups).
  const failing = fc.oneof(unknownKeyArb, base62(10, 60), base62(32, 32).map((r) => `kg_live_${r}AAAAAA`));

  it("an address that keeps failing is cut off with 429 and stays cut off; a valid key elsewhere is unaffected", async () => {
    const h = harness("auth-failure filter");
    await fc.assert(
      fc.asyncProperty(fc.array(failing, { minLength: 70, maxLength: 70 }), async (bad) => {
        const ip = freshIp();
        const statuses: number[] = [];
        for (const key of bad) {
          const res = await h.run({ method: "GET", target: "/v1/auth/me", headers: [["Authorization", `Bearer ${key}`], ["cf-connecting-ip", ip]] });
          statuses.push(res!.status);
          if (statuses.length > 3 && statuses.slice(-3).every((s) => s === 429)) break;
        }
        const first429 = statuses.indexOf(429);
        // 30 failures per 10 s window are allowed (the binding's limit), the next one trips the
        // filter, and from then on the address gets 429 without a lookup. A window that rolls
        // over mid-run allows at most another 30.
        expect(statuses.slice(0, 30).every((s) => s === 401), statuses.join(",")).toBe(true);
        expect(first429, statuses.join(",")).toBeGreaterThanOrEqual(31);
        expect(first429, statuses.join(",")).toBeLessThanOrEqual(62);
        expect(statuses.slice(first429).every((s) => s === 429), statuses.join(",")).toBe(true);
        // Cut off means cut off: even a valid key from that address, before any lookup.
        const blocked = await h.run({ method: "GET", target: "/v1/auth/me", headers: [["Authorization", `Bearer ${fx.admin.key}`], ["cf-connecting-ip", ip]] });
        expect(blocked!.status).toBe(429);
        expect(blocked!.headers.get("retry-after")).toBe("10");
        const elsewhere = await h.run({ method: "GET", target: "/v1/auth/me", headers: [["Authorization", `Bearer ${fx.admin.key}`]] });
        expect(elsewhere!.status).toBe(200);
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 60_000);
});

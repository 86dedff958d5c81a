// What crosses to an origin, seen from the origin's side:
// - header smuggling: every identity and signature header name, in several letter cases and
//   repeated, on every way keygate forwards (plain routes, the Python origin, ingest jobs, job
//   cancellation), never reaches the origin; only keygate's own values do, once each;
// - signatures on REAL forwarded requests (captured by the origins, not built by the test): they
//   verify as received, and fail after expiry, with each covered component tampered, and when
//   signed by a key the origin no longer has (retired), in origin/verify.ts and in the Python
//   example. test/proxy/signing.security.test.ts and test/node/python-verify.security.test.ts cover synthetic ones.
import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { KeygateSignatureError, verifyKeygateRequest, type Jwks } from "../../origin/verify.ts";
import worker from "../../src/index.ts";
import { contentDigest } from "../../src/proxy/signing.ts";
import { BASE, call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { testVars } from "../support/faults.ts";
import { captureLogs } from "../support/hostile.ts";

captureLogs();
let client: { key: string; id: string; tenantId: string; scopes: string[] };
let jwks: Jwks;
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform, { plan: "enterprise" });
  client = await createKey(admin, { scopes: ["query", "jobs:write", "jobs:read"] });
  jwks = await json(await call("/.well-known/jwks.json"));
});
afterEach(() => vi.restoreAllMocks());

type Outgoing = { url: string; method: string; headers: Headers; body: ArrayBuffer | null };
const asRequest = (o: Outgoing, headers = o.headers) => new Request(o.url, { method: o.method, headers, body: o.body });

/** Every request the Worker sends to an origin while `fn` runs (the Worker's global fetch). */
async function captureOutgoing<T>(fn: () => Promise<T>): Promise<{ result: T; sent: Outgoing[] }> {
  const sent: Outgoing[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    // Copied out now: a body stream belongs to the request being served and dies with it.
    const body = req.body ? await req.clone().arrayBuffer() : null;
    sent.push({ url: req.url, method: req.method, headers: new Headers(req.headers), body });
    return real(req);
  });
  const result = await fn();
  vi.mocked(globalThis.fetch).mockRestore();
  return { result, sent };
}

// ---------------------------------------------------------------------------------------------

const SIGNED_NAMES = ["x-keygate-key-id", "x-keygate-tenant-id", "x-keygate-scopes", "x-keygate-environment", "x-keygate-job-id", "signature", "signature-input", "content-digest", "x-request-id"];
const casings = (n: string) => [n, n.toUpperCase(), n.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()), [...n].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("")];

/** Every name in four letter cases, each a separate header line: repeated four times over. */
function smuggling(): Headers {
  const h = new Headers();
  for (const name of SIGNED_NAMES) for (const [i, variant] of casings(name).entries()) h.append(variant, `forged-${name}-${i}`);
  h.append("X-Keygate-Anything-Else", "forged-extra");
  return h;
}

describe("header smuggling: identity and signature headers never reach an origin", () => {
  async function forwardWithSmuggling(path: string, init: { method: string; body?: string }) {
    const headers = smuggling();
    headers.set("Authorization", `Bearer ${client.key}`);
    headers.set("cf-connecting-ip", "192.0.2.77");
    if (init.body) headers.set("content-type", "application/json");
    const { result, sent } = await captureOutgoing(async () => {
      const { exports } = await import("cloudflare:workers");
      return exports.default.fetch(new Request(BASE + path, { method: init.method, headers, body: init.body }));
    });
    return { res: result, sent };
  }

  /** keygate's own values, exactly once each, and nothing forged. */
  function expectClean(out: Outgoing, res: Response, opts: { job?: string; body: boolean }) {
    const lines = [...out.headers];
    expect(JSON.stringify(lines)).not.toContain("forged");
    const one = (name: string) => {
      const v = out.headers.get(name);
      expect(v, name).not.toBeNull();
      expect(v!.includes(", "), `${name} repeated: ${v}`).toBe(false);
      return v;
    };
    expect(one("x-keygate-key-id")).toBe(client.id);
    expect(one("x-keygate-tenant-id")).toBe(client.tenantId);
    expect(one("x-keygate-scopes")).toBe(client.scopes.join(" "));
    expect(one("x-keygate-environment")).toBe("live");
    // The client sent four X-Request-Id values: not a valid id, so keygate made its own.
    expect(one("x-request-id")).toBe(res.headers.get("x-request-id"));
    expect(one("signature")).toMatch(/^kg=:/);
    expect(one("signature-input")).toMatch(/^kg=\(/);
    if (opts.body) expect(one("content-digest")).toMatch(/^sha-256=:/);
    else expect(out.headers.get("content-digest")).toBeNull();
    if (opts.job) expect(one("x-keygate-job-id")).toBe(opts.job);
    else expect(out.headers.get("x-keygate-job-id")).toBeNull();
  }

  it("a plain route, without a body: the echo origin sees only keygate's values and verifies them", async () => {
    const { res, sent } = await forwardWithSmuggling("/v1/echo/smuggle", { method: "GET" });
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
    expectClean(sent[0]!, res, { body: false });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    const raw: string[] = seen.rawHeaders;
    for (const name of SIGNED_NAMES.filter((n) => n !== "x-keygate-job-id" && n !== "content-digest")) {
      expect(raw.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name), name).toHaveLength(1);
    }
    expect(JSON.stringify(raw)).not.toContain("forged");
  });

  it("a plain route, with a body: the digest is keygate's, of the body as sent", async () => {
    const body = JSON.stringify({ hello: "smuggler" });
    const { res, sent } = await forwardWithSmuggling("/v1/echo/smuggle", { method: "POST", body });
    expect(res.status).toBe(200);
    expectClean(sent[0]!, res, { body: true });
    expect(sent[0]!.headers.get("content-digest")).toBe(await contentDigest(new TextEncoder().encode(body)));
    expect((await json(res)).verified).toBe(true);
  });

  it("the Python origin: verified, and none of the smuggled values among the headers it received", async () => {
    const { res, sent } = await forwardWithSmuggling("/v1/query", { method: "POST", body: JSON.stringify({ sql: "select 1" }) });
    expect(res.status).toBe(200);
    expectClean(sent[0]!, res, { body: true });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(JSON.stringify(seen.headers)).not.toContain("forged");
    expect(seen.identity).toMatchObject({ keyId: client.id, tenantId: client.tenantId });
  });

  it("an ingest job: the origin gets the job's own id, not the client's", async () => {
    const { res, sent } = await forwardWithSmuggling("/v1/ingest", { method: "POST", body: JSON.stringify({ source: "smuggle", payload: 1 }) });
    expect(res.status).toBe(202);
    const job = await json(res);
    expectClean(sent[0]!, res, { body: true, job: job.id });
  });

  it("a job cancellation told to the origin carries none of the client's smuggled headers either", async () => {
    const job = await json(await call("/v1/ingest", { key: client.key, body: { source: "to-cancel", payload: 1 } }));
    const { res, sent } = await forwardWithSmuggling(`/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
    expect(new URL(sent[0]!.url).pathname).toBe(`/v1/jobs/${job.id}/cancel`);
    expectClean(sent[0]!, res, { body: false, job: job.id });
  });
});

// ---------------------------------------------------------------------------------------------

type Captured = { method: string; path: string; query: string; headers: [string, string][]; body: string };

/** A forwarded request exactly as the echo origin received it. */
async function captureAtEcho(path: string, body: string | null, e?: Env): Promise<{ captured: Captured; seen: any }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${client.key}`, "cf-connecting-ip": "192.0.2.78" };
  if (body !== null) headers["content-type"] = "application/json";
  const req = new Request(BASE + path, { method: body === null ? "GET" : "POST", headers, body: body ?? undefined });
  const res = e ? await worker.fetch(req, e, createExecutionContext()) : await call(path, { method: req.method, key: client.key, body: body ?? undefined, headers: body ? { "content-type": "application/json" } : {} });
  expect(res.status).toBe(200);
  const seen = await json(res);
  const pairs: [string, string][] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) pairs.push([seen.rawHeaders[i], seen.rawHeaders[i + 1]]);
  return { captured: { method: seen.method, path: seen.path, query: seen.query, headers: pairs, body: seen.body }, seen };
}

function rebuild(c: Captured, base = testVars.ORIGIN_ECHO_URL): Request {
  const headers = new Headers();
  for (const [n, v] of c.headers) if (!["host", "content-length", "connection", "transfer-encoding"].includes(n.toLowerCase())) headers.append(n, v);
  return new Request(base + c.path + c.query, { method: c.method, headers, body: c.method === "GET" ? undefined : c.body });
}

const paramsOf = (c: Captured) => {
  const input = c.headers.find(([n]) => n.toLowerCase() === "signature-input")![1];
  return {
    components: input.slice(input.indexOf("(") + 1, input.indexOf(")")).split(" ").map((s) => s.replace(/"/g, "")),
    created: Number(/created=(\d+)/.exec(input)![1]),
    expires: Number(/expires=(\d+)/.exec(input)![1]),
  };
};

async function reasonOf(req: Request, opts: { now: number; jwks?: Jwks }): Promise<string> {
  try {
    await verifyKeygateRequest(req, { jwks: opts.jwks ?? jwks, now: opts.now });
    return "verified";
  } catch (err) {
    if (err instanceof KeygateSignatureError) return err.reason;
    throw err;
  }
}

const withHeader = (c: Captured, name: string, value: string | null): Captured => ({
  ...c,
  headers: value === null ? c.headers.filter(([n]) => n.toLowerCase() !== name) : c.headers.map(([n, v]): [string, string] => (n.toLowerCase() === name ? [n, value] : [n, v])),
});

describe("signatures on real forwarded requests: origin/verify.ts", () => {
  it("verify as received; fail once expired, with each covered component tampered, and under a retired key", async () => {
    const { captured } = await captureAtEcho("/v1/echo/real?limit=5&q=a%20b", JSON.stringify({ rows: [1, 2, 3] }));
    const p = paramsOf(captured);
    expect(p.expires - p.created).toBe(60);
    expect(await reasonOf(rebuild(captured), { now: p.created })).toBe("verified");
    expect(await reasonOf(rebuild(captured), { now: p.expires })).toBe("verified");
    // Replayed after expiry.
    expect(await reasonOf(rebuild(captured), { now: p.expires + 1 })).toBe("expired");
    expect(await reasonOf(rebuild(captured), { now: p.expires + 86_400 })).toBe("expired");

    // Each covered component the real Signature-Input names, changed after signing.
    const tampered: Record<string, { req: Request; reason: string[] }> = {};
    for (const component of p.components) {
      switch (component) {
        case "@method":
          tampered[component] = { req: rebuild({ ...captured, method: "PUT" }), reason: ["bad-signature"] };
          break;
        case "@authority": {
          const other = new URL(testVars.ORIGIN_ECHO_URL);
          other.port = String(Number(other.port) + 1);
          tampered[component] = { req: rebuild(captured, other.origin), reason: ["bad-signature"] };
          break;
        }
        case "@path":
          tampered[component] = { req: rebuild({ ...captured, path: captured.path + "/admin" }), reason: ["bad-signature"] };
          break;
        case "@query":
          tampered[component] = { req: rebuild({ ...captured, query: captured.query.replace("limit=5", "limit=5000") }), reason: ["bad-signature"] };
          break;
        case "content-digest":
          tampered["body"] = { req: rebuild({ ...captured, body: captured.body.replace("3", "4") }), reason: ["digest-mismatch"] };
          tampered["body and digest"] = {
            req: rebuild(withHeader({ ...captured, body: "{}" }, "content-digest", await contentDigest(new TextEncoder().encode("{}")))),
            reason: ["bad-signature"],
          };
          tampered["digest removed"] = { req: rebuild(withHeader(captured, "content-digest", null)), reason: ["missing-header", "digest-missing"] };
          break;
        default: {
          const value = captured.headers.find(([n]) => n.toLowerCase() === component)![1];
          tampered[component] = { req: rebuild(withHeader(captured, component, value + "x")), reason: ["bad-signature"] };
          tampered[`${component} removed`] = { req: rebuild(withHeader(captured, component, null)), reason: ["missing-header"] };
        }
      }
    }
    expect(Object.keys(tampered)).toEqual(expect.arrayContaining(["@method", "@authority", "@path", "@query", "body", "x-keygate-key-id", "x-keygate-tenant-id", "x-keygate-scopes", "x-keygate-environment", "x-request-id"]));
    for (const [what, { req, reason }] of Object.entries(tampered)) {
      expect(reason, `tampered ${what}`).toContain(await reasonOf(req, { now: p.created }));
    }

    // Retired: the origin's key set no longer has the kid, or has another key under it.
    expect(await reasonOf(rebuild(captured), { now: p.created, jwks: { keys: [] } })).toBe("unknown-key");
    const impostor = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const x = ((await crypto.subtle.exportKey("jwk", impostor.publicKey)) as JsonWebKey).x;
    expect(await reasonOf(rebuild(captured), { now: p.created, jwks: { keys: [{ ...jwks.keys[0]!, x }] } })).toBe("bad-signature");
  });

  it("an ingest job's real request: the job id is covered", async () => {
    const { sent, result } = await captureOutgoing(() => call("/v1/ingest", { key: client.key, body: { source: "sig", payload: { n: 1 } } }));
    expect(result.status).toBe(202);
    const out = sent[0]!;
    const created = Number(/created=(\d+)/.exec(out.headers.get("signature-input")!)![1]);
    expect(out.headers.get("signature-input")).toContain('"x-keygate-job-id"');
    expect(await reasonOf(asRequest(out), { now: created })).toBe("verified");
    const forged = new Headers(out.headers);
    forged.set("x-keygate-job-id", "job_AAAAAAAAAAAAAAAA");
    expect(await reasonOf(asRequest(out, forged), { now: created })).toBe("bad-signature");
    const dropped = new Headers(out.headers);
    dropped.delete("x-keygate-job-id");
    expect(await reasonOf(asRequest(out, dropped), { now: created })).toBe("missing-header");
  });
});

/** A private JWK the origins do not know: the gateway signing with a retired key. */
async function retiredSigningKey(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return JSON.stringify({ ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid: "kg-retired-2025" });
}

describe("a gateway signing with a retired key", () => {
  it("is refused by both origins: unknown-key", async () => {
    const e = { ...env, SIGNING_KEY: await retiredSigningKey() } as Env;
    const echo = await worker.fetch(new Request(BASE + "/v1/echo/retired", { headers: { Authorization: `Bearer ${client.key}`, "cf-connecting-ip": "192.0.2.79" } }), e, createExecutionContext());
    expect(await json(echo)).toMatchObject({ verified: false, reason: "unknown-key" });
    const py = await worker.fetch(
      new Request(BASE + "/v1/query", { method: "POST", headers: { Authorization: `Bearer ${client.key}`, "content-type": "application/json", "cf-connecting-ip": "192.0.2.79" }, body: "{}" }),
      e,
      createExecutionContext(),
    );
    expect(py.status).toBe(401);
    expect(await json(py)).toMatchObject({ verified: false, reason: "unknown-key" });
  });
});

// ---------------------------------------------------------------------------------------------

/** A forwarded request exactly as the Python origin received it (it echoes what it verified). */
async function captureAtPython(body: string, path = "/v1/query"): Promise<Captured> {
  const res = await call(path, { key: client.key, body, headers: { "content-type": "application/json" } });
  const seen = await json(res);
  expect(seen.verified, JSON.stringify(seen)).toBe(true);
  return { method: seen.method, path: seen.path, query: seen.query, headers: Object.entries(seen.headers as Record<string, string>), body: seen.body };
}

async function toPython(c: Captured): Promise<{ status: number; body: any }> {
  const res = await fetch(rebuild(c, testVars.ORIGIN_QUERY_URL));
  return { status: res.status, body: await res.json() };
}

describe("signatures on real forwarded requests: the Python example", () => {
  it("a replay within the window verifies (refusing replays is the origin's job); each covered component tampered fails", async () => {
    const captured = await captureAtPython(JSON.stringify({ sql: "select 1", rows: [1, 2, 3] }), "/v1/query/explain?plan=full&n=1");
    expect(await toPython(captured)).toMatchObject({ status: 200, body: { verified: true } });
    const p = paramsOf(captured);
    const cases: [string, Captured, string][] = [
      ["@method", { ...captured, method: "PUT" }, "bad-signature"],
      ["@path", { ...captured, path: captured.path + "/x" }, "bad-signature"],
      ["@query", { ...captured, query: captured.query.replace("n=1", "n=2") }, "bad-signature"],
      ["body", { ...captured, body: captured.body.replace("3", "4") }, "digest-mismatch"],
      ["body and digest", withHeader({ ...captured, body: "{}" }, "content-digest", await contentDigest(new TextEncoder().encode("{}"))), "bad-signature"],
    ];
    for (const component of p.components.filter((c) => !c.startsWith("@") && c !== "content-digest")) {
      const value = captured.headers.find(([n]) => n === component)![1];
      cases.push([component, withHeader(captured, component, value + "x"), "bad-signature"]);
      cases.push([`${component} removed`, withHeader(captured, component, null), "missing-header"]);
    }
    for (const [what, c, reason] of cases) {
      expect(await toPython(c), `tampered ${what}`).toMatchObject({ status: 401, body: { verified: false, reason } });
    }
  });

  it("a real request replayed after its expiry is refused: expired", async () => {
    // The gateway signs as if it were 57 s ago (a fresh key, so its limiter starts at that time):
    // the Python origin still accepts it, and a replay after `expires` no longer.
    const fresh = await createKey((await tenantWithAdmin(await platformKey())).admin, { scopes: ["query"] });
    const realNow = Date.now.bind(Date);
    const spy = vi.spyOn(Date, "now").mockImplementation(() => realNow() - 57_000);
    let seen: any;
    try {
      seen = await json(await call("/v1/query", { key: fresh.key, body: { sql: "select 1" } }));
    } finally {
      spy.mockRestore();
    }
    expect(seen.verified, JSON.stringify(seen)).toBe(true);
    const captured: Captured = { method: seen.method, path: seen.path, query: seen.query, headers: Object.entries(seen.headers as Record<string, string>), body: seen.body };
    const { expires } = paramsOf(captured);
    await new Promise((r) => setTimeout(r, Math.max(0, (expires + 1) * 1000 - Date.now() + 200)));
    expect(await toPython(captured)).toMatchObject({ status: 401, body: { verified: false, reason: "expired" } });
  }, 15_000);
});

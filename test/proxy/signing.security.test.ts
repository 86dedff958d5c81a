// Signing forwarded requests (src/proxy/signing.ts) against the origin helper (origin/verify.ts),
// in workerd: a valid request verifies; changing any covered part, replaying after expires, a
// retired key, a future created, a second Signature or a stripped Content-Digest all fail.
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import {
  KeygateSignatureError,
  parseDictionary,
  remoteJwks,
  verifyKeygateRequest,
  type Jwks,
  type KeygateSignatureReason,
} from "../../origin/verify.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { Problem, problemResponse } from "../../src/core/problem.ts";
import { mountEndpoint } from "../../src/app.ts";
import { jwksRoutes } from "../../src/proxy/jwks.ts";
import {
  contentDigest,
  IDENTITY_HEADERS,
  loadSigning,
  signatureBase,
  signatureParams,
  signedComponents,
  signRequest,
  type SigningKey,
} from "../../src/proxy/signing.ts";

const ED25519 = { name: "Ed25519" };

async function newKeyPair(kid: string) {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const priv = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const pub = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  return { privateJwk: JSON.stringify({ ...priv, kid }), publicJwk: JSON.stringify({ kty: pub.kty, crv: pub.crv, x: pub.x, kid }) };
}

const active = await newKeyPair("kg-20260101-active");
const previous = await newKeyPair("kg-20251201-previous");
const retired = await newKeyPair("kg-20250101-retired");
const signing = await loadSigning({ SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: previous.publicJwk });
const previousKey: SigningKey = (await loadSigning({ SIGNING_KEY: previous.privateJwk })).active;
const retiredKey: SigningKey = (await loadSigning({ SIGNING_KEY: retired.privateJwk })).active;
const jwks: Jwks = signing.jwks;

const NOW = 1_800_000_000;

type Spec = { method: string; url: string; headers: Record<string, string>; body?: string };

const identity = {
  "x-keygate-key-id": "key_01HZX",
  "x-keygate-tenant-id": "ten_01HZY",
  "x-keygate-scopes": "jobs:write query",
  "x-keygate-environment": "live",
  "x-request-id": "req-7f3a",
};

const ingest: Spec = {
  method: "POST",
  url: "https://ingest.origin.test/v1/ingest?source=s3",
  headers: { ...identity, "content-type": "application/json", "x-keygate-job-id": "job_01J00" },
  body: '{"hello": "world"}',
};
const query: Spec = { method: "GET", url: "https://query.origin.test:8443/v1/query", headers: { ...identity } };

/** What the gateway does: digest, sign, and hand over the parts (mutable, to tamper with). */
async function sign(spec: Spec, opts: { key?: SigningKey; created?: number; expires?: number; components?: readonly string[] } = {}) {
  const headers = new Headers(spec.headers);
  const body = spec.body === undefined ? undefined : new TextEncoder().encode(spec.body);
  if (body) headers.set("content-digest", await contentDigest(body));
  const url = new URL(spec.url);
  const created = opts.created ?? NOW;
  const components = opts.components ?? signedComponents(body !== undefined, headers.has("x-keygate-job-id"));
  const sig = await signRequest({ method: spec.method, url, headers }, opts.key ?? signing.active, {
    created,
    expires: opts.expires ?? created + 60,
    components,
  });
  headers.set("Signature-Input", sig["Signature-Input"]);
  headers.set("Signature", sig.Signature);
  return { method: spec.method, url: spec.url, headers, body: spec.body };
}

type Parts = Awaited<ReturnType<typeof sign>>;
const toRequest = (p: Parts) => new Request(p.url, { method: p.method, headers: p.headers, body: p.body });

async function reasonOf(p: Parts, opts: { now?: number; authority?: string } = {}): Promise<KeygateSignatureReason | "verified"> {
  try {
    await verifyKeygateRequest(toRequest(p), { jwks, now: opts.now ?? NOW, authority: opts.authority });
    return "verified";
  } catch (err) {
    if (err instanceof KeygateSignatureError) return err.reason;
    throw err;
  }
}

describe("signing and verifying a forwarded request", () => {
  it("an ingest request verifies and yields the identity and the body", async () => {
    const parts = await sign(ingest);
    expect(parts.headers.get("signature-input")).toBe(
      'kg=("@method" "@authority" "@path" "@query" "content-digest" "x-keygate-key-id" "x-keygate-tenant-id" "x-keygate-scopes" "x-keygate-environment" "x-request-id" "x-keygate-job-id");created=1800000000;expires=1800000060;keyid="kg-20260101-active";alg="ed25519"',
    );
    expect(parts.headers.get("signature")).toMatch(/^kg=:[A-Za-z0-9+/]{86}==:$/);
    expect(parts.headers.get("content-digest")).toBe("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    const id = await verifyKeygateRequest(toRequest(parts), { jwks, now: NOW });
    expect(id).toMatchObject({
      keyId: "key_01HZX",
      tenantId: "ten_01HZY",
      scopes: ["jobs:write", "query"],
      environment: "live",
      requestId: "req-7f3a",
      jobId: "job_01J00",
    });
    expect(new TextDecoder().decode(id.body)).toBe('{"hello": "world"}');
  });

  it("a GET without a body or job verifies (non-default port in @authority, empty @query)", async () => {
    const parts = await sign(query);
    expect(parts.headers.get("signature-input")).not.toContain("content-digest");
    const id = await verifyKeygateRequest(toRequest(parts), { jwks, now: NOW });
    expect(id.jobId).toBeUndefined();
    expect(id.body.byteLength).toBe(0);
  });

  it("a signature by the previous key still verifies during a rotation", async () => {
    expect(await reasonOf(await sign(ingest, { key: previousKey }))).toBe("verified");
  });

  it("created within the skew, and the last second before expires, are accepted", async () => {
    expect(await reasonOf(await sign(ingest, { created: NOW + 59 }))).toBe("verified");
    expect(await reasonOf(await sign(ingest, { created: NOW - 60, expires: NOW }))).toBe("verified");
  });

  it("the origin may name its own authority (behind a proxy that rewrote Host / the URL)", async () => {
    const parts = await sign(ingest);
    parts.url = "http://127.0.0.1:9000/v1/ingest?source=s3";
    expect(await reasonOf(parts)).toBe("bad-signature");
    expect(await reasonOf(parts, { authority: "ingest.origin.test" })).toBe("verified");
  });

  // Each covered component, changed after signing.
  const tamper: [string, Spec, (p: Parts) => void, KeygateSignatureReason][] = [
    ["@method", ingest, (p) => void (p.method = "PUT"), "bad-signature"],
    ["@authority (host)", ingest, (p) => void (p.url = p.url.replace("ingest.origin.test", "evil.origin.test")), "bad-signature"],
    ["@authority (port)", query, (p) => void (p.url = p.url.replace(":8443", ":8444")), "bad-signature"],
    ["@path", ingest, (p) => void (p.url = p.url.replace("/v1/ingest", "/v1/ingest/other")), "bad-signature"],
    ["@path (letter case)", ingest, (p) => void (p.url = p.url.replace("/v1/ingest", "/v1/Ingest")), "bad-signature"],
    ["@query (changed)", ingest, (p) => void (p.url = p.url.replace("source=s3", "source=s4")), "bad-signature"],
    ["@query (added)", query, (p) => void (p.url += "?limit=1000000"), "bad-signature"],
    ["@query (removed)", ingest, (p) => void (p.url = p.url.replace("?source=s3", "")), "bad-signature"],
    ["body", ingest, (p) => void (p.body = '{"hello": "w0rld"}'), "digest-mismatch"],
    ["body and content-digest", ingest, (p) => {
      p.body = "{}";
      p.headers.set("content-digest", "sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:");
    }, "bad-signature"],
    ["content-digest stripped", ingest, (p) => p.headers.delete("content-digest"), "missing-header"],
    ...IDENTITY_HEADERS.map((h): [string, Spec, (p: Parts) => void, KeygateSignatureReason] => [
      h,
      ingest,
      (p) => p.headers.set(h, p.headers.get(h) + "x"),
      "bad-signature",
    ]),
    ...IDENTITY_HEADERS.map((h): [string, Spec, (p: Parts) => void, KeygateSignatureReason] => [
      `${h} removed`,
      ingest,
      (p) => p.headers.delete(h),
      "missing-header",
    ]),
    ["x-keygate-scopes widened", ingest, (p) => p.headers.set("x-keygate-scopes", "jobs:write query admin"), "bad-signature"],
    ["x-keygate-job-id", ingest, (p) => p.headers.set("x-keygate-job-id", "job_other"), "bad-signature"],
    ["x-keygate-job-id removed", ingest, (p) => p.headers.delete("x-keygate-job-id"), "missing-header"],
    ["x-keygate-job-id added to a request signed without one", query, (p) => p.headers.set("x-keygate-job-id", "job_x"), "missing-component"],
    ["a second value appended to an identity header", ingest, (p) => p.headers.append("x-keygate-tenant-id", "ten_other"), "bad-signature"],
    ["keyid swapped to the previous key", ingest, (p) => {
      p.headers.set("signature-input", p.headers.get("signature-input")!.replace("kg-20260101-active", "kg-20251201-previous"));
    }, "bad-signature"],
    ["expires extended", ingest, (p) => {
      p.headers.set("signature-input", p.headers.get("signature-input")!.replace("expires=1800000060", "expires=1900000000"));
    }, "bad-signature"],
    ["a covered component dropped from Signature-Input", ingest, (p) => {
      p.headers.set("signature-input", p.headers.get("signature-input")!.replace(' "x-request-id"', ""));
    }, "missing-component"],
    ["alg changed", ingest, (p) => {
      p.headers.set("signature-input", p.headers.get("signature-input")!.replace('alg="ed25519"', 'alg="hmac-sha256"'));
    }, "unsupported-alg"],
    ["alg removed", ingest, (p) => {
      p.headers.set("signature-input", p.headers.get("signature-input")!.replace(';alg="ed25519"', ""));
    }, "unsupported-alg"],
    ["a signature bit flipped", ingest, (p) => {
      const sig = p.headers.get("signature")!;
      const i = 10;
      p.headers.set("signature", sig.slice(0, i) + (sig[i] === "A" ? "B" : "A") + sig.slice(i + 1));
    }, "bad-signature"],
    ["a second Signature header", ingest, (p) => p.headers.append("Signature", p.headers.get("signature")!), "duplicate-signature"],
    ["a second Signature-Input header", ingest, (p) => p.headers.append("Signature-Input", p.headers.get("signature-input")!), "duplicate-signature"],
    ["Signature removed", ingest, (p) => p.headers.delete("signature"), "missing-signature"],
    ["Signature-Input removed", ingest, (p) => p.headers.delete("signature-input"), "missing-signature"],
    ["another label only", ingest, (p) => p.headers.set("signature", p.headers.get("signature")!.replace(/^kg=/, "other=")), "missing-signature"],
    ["Signature not a byte sequence", ingest, (p) => p.headers.set("signature", 'kg="abc"'), "malformed-signature"],
    ["Signature-Input not a dictionary", ingest, (p) => p.headers.set("signature-input", "kg=(\"@method\""), "malformed-signature"],
    ["Signature garbage", ingest, (p) => p.headers.set("signature", "kg=:not base64!:"), "malformed-signature"],
  ];

  for (const [what, spec, change, reason] of tamper) {
    it(`tampered ${what} → ${reason}`, async () => {
      const parts = await sign(spec);
      expect(await reasonOf(parts)).toBe("verified");
      change(parts);
      expect(await reasonOf(parts)).toBe(reason);
    });
  }

  it("replaying after expires fails", async () => {
    const parts = await sign(ingest, { created: NOW, expires: NOW + 60 });
    expect(await reasonOf(parts, { now: NOW + 60 })).toBe("verified");
    expect(await reasonOf(parts, { now: NOW + 61 })).toBe("expired");
    expect(await reasonOf(parts, { now: NOW + 86_400 })).toBe("expired");
  });

  it("created in the future beyond the skew fails", async () => {
    expect(await reasonOf(await sign(ingest, { created: NOW + 61, expires: NOW + 120 }))).toBe("created-in-future");
  });

  it("a retired key (not in the JWKS) fails", async () => {
    expect(await reasonOf(await sign(ingest, { key: retiredKey }))).toBe("unknown-key");
  });

  it("a body signed without content-digest fails", async () => {
    const parts = await sign(ingest, { components: signedComponents(false, true) });
    expect(await reasonOf(parts)).toBe("digest-missing");
  });

  it("a body added to a request signed without one fails", async () => {
    const parts = await sign({ ...ingest, method: "POST", body: undefined });
    expect(await reasonOf(parts)).toBe("verified");
    parts.body = "{}";
    expect(await reasonOf(parts)).toBe("digest-missing");
  });

  it("a signature that leaves out an identity header fails even if it verifies", async () => {
    const components = signedComponents(true, true).filter((c) => c !== "x-keygate-environment");
    expect(await reasonOf(await sign(ingest, { components }))).toBe("missing-component");
  });

  it("extra required components are enforced", async () => {
    const parts = await sign(ingest);
    await expect(
      verifyKeygateRequest(toRequest(parts), { jwks, now: NOW, requiredComponents: ["content-type"] }),
    ).rejects.toMatchObject({ reason: "missing-component" });
    const withType = await sign(ingest, { components: [...signedComponents(true, true), "content-type"] });
    await expect(verifyKeygateRequest(toRequest(withType), { jwks, now: NOW, requiredComponents: ["content-type"] })).resolves.toBeTruthy();
  });

  it("a signature by a key whose kid is in the JWKS but with another x fails", async () => {
    const impostor = await newKeyPair("kg-20260101-active");
    const key = (await loadSigning({ SIGNING_KEY: impostor.privateJwk })).active;
    expect(await reasonOf(await sign(ingest, { key }))).toBe("bad-signature");
  });

  it("a request with no signature at all fails", async () => {
    const req = new Request(ingest.url, { method: "POST", headers: ingest.headers, body: ingest.body });
    await expect(verifyKeygateRequest(req, { jwks, now: NOW })).rejects.toBeInstanceOf(KeygateSignatureError);
  });
});

describe("the signature base", () => {
  it("matches RFC 9421 Appendix B.2.6 (ed25519), byte for byte and signature for signature", async () => {
    // RFC 9421 B.1.4 test-key-ed25519 and the request of B.2.6.
    const rfcKey = { kty: "OKP", crv: "Ed25519", x: "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs", d: "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU" };
    const headers = new Headers({ date: "Tue, 20 Apr 2021 02:07:55 GMT", "content-type": "application/json", "content-length": "18" });
    const components = ["date", "@method", "@path", "@authority", "content-type", "content-length"];
    const params = '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
    const base = signatureBase({ method: "POST", url: new URL("https://example.com/foo?param=Value&Pet=dog"), headers }, components, params);
    expect(base).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join("\n"),
    );
    const key = await crypto.subtle.importKey("jwk", rfcKey, ED25519, false, ["sign"]);
    const sig = new Uint8Array(await crypto.subtle.sign(ED25519, key, new TextEncoder().encode(base)));
    expect(btoa(String.fromCharCode(...sig))).toBe("wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==");
  });

  it("for keygate's components: a fixed example", () => {
    const headers = new Headers({
      "Content-Digest": "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
      "X-Keygate-Key-Id": "key_1",
      "X-Keygate-Tenant-Id": "ten_1",
      "X-Keygate-Scopes": "jobs:write",
      "X-Keygate-Environment": " test ",
      "X-Request-Id": "req-1",
      "X-Keygate-Job-Id": "job_1",
    });
    const components = signedComponents(true, true);
    const params = signatureParams(components, { created: 1700000000, expires: 1700000060, keyid: "kg-20231114-ab12", alg: "ed25519" });
    const base = signatureBase({ method: "POST", url: new URL("https://Ingest.Example.COM:443/v1/ingest"), headers }, components, params);
    expect(base).toBe(`"@method": POST
"@authority": ingest.example.com
"@path": /v1/ingest
"@query": ?
"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
"x-keygate-key-id": key_1
"x-keygate-tenant-id": ten_1
"x-keygate-scopes": jobs:write
"x-keygate-environment": test
"x-request-id": req-1
"x-keygate-job-id": job_1
"@signature-params": ("@method" "@authority" "@path" "@query" "content-digest" "x-keygate-key-id" "x-keygate-tenant-id" "x-keygate-scopes" "x-keygate-environment" "x-request-id" "x-keygate-job-id");created=1700000000;expires=1700000060;keyid="kg-20231114-ab12";alg="ed25519"`);
  });

  it("@authority keeps a non-default port; @query keeps the query as sent", () => {
    const base = signatureBase(
      { method: "GET", url: new URL("http://Origin.test:8080/a%20b/c?x=1&y=%2F"), headers: new Headers() },
      ["@authority", "@path", "@query"],
      "()",
    );
    expect(base).toBe('"@authority": origin.test:8080\n"@path": /a%20b/c\n"@query": ?x=1&y=%2F\n"@signature-params": ()');
  });

  it("refuses an absent header component, a repeated component and an unsupported derived one", async () => {
    const input = { method: "GET", url: new URL("https://o.test/"), headers: new Headers() };
    const opts = { created: NOW, expires: NOW + 60 };
    await expect(signRequest(input, signing.active, { ...opts, components: ["x-request-id"] })).rejects.toThrow(/absent/);
    await expect(signRequest(input, signing.active, { ...opts, components: ["@method", "@method"] })).rejects.toThrow(/twice/);
    await expect(signRequest(input, signing.active, { ...opts, components: ["@target-uri"] })).rejects.toThrow(/unsupported/);
  });

  it("contentDigest is RFC 9530's example for the RFC's body, also for an empty one", async () => {
    expect(await contentDigest(new TextEncoder().encode('{"hello": "world"}'))).toBe("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    expect(await contentDigest(new ArrayBuffer(0))).toBe("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
  });

  it("signedComponents lists the identity headers, content-digest with a body, the job id with a job", () => {
    expect(signedComponents(false, false)).toEqual(["@method", "@authority", "@path", "@query", ...IDENTITY_HEADERS]);
    expect(signedComponents(true, true)).toEqual(["@method", "@authority", "@path", "@query", "content-digest", ...IDENTITY_HEADERS, "x-keygate-job-id"]);
  });
});

describe("the Structured Field parser of the origin helper", () => {
  it("parses inner lists, parameters, strings with escapes, tokens, byte sequences, booleans, decimals", () => {
    const d = parseDictionary('a=("x" "y\\"z");p=1;q=tok/en:1, b=:AQID:, c, d=?0, e=-1.5;f="s"');
    expect([...d.members.keys()]).toEqual(["a", "b", "c", "d", "e"]);
    const a = d.members.get("a") as any;
    expect(a.items.map((i: any) => i.value.value)).toEqual(["x", 'y"z']);
    expect(a.params.get("p")).toEqual({ type: "integer", value: 1 });
    expect(a.params.get("q")).toEqual({ type: "token", value: "tok/en:1" });
    expect([...(d.members.get("b") as any).value.value]).toEqual([1, 2, 3]);
    expect((d.members.get("c") as any).value).toEqual({ type: "boolean", value: true });
    expect((d.members.get("d") as any).value).toEqual({ type: "boolean", value: false });
    expect((d.members.get("e") as any).value).toEqual({ type: "decimal", value: -1.5 });
  });

  it("records duplicate keys and rejects what RFC 8941 rejects", () => {
    expect(parseDictionary("a=1, a=2").duplicates.has("a")).toBe(true);
    for (const bad of ["A=1", "a=1,", "a=1 b=2", 'a="\\x"', "a=(1", "a=1234567890123456", "a=1.2345", "a=:AB$=:", "a=\"\u00e9\"", "a=?2", "a=1;", "a=()x"]) {
      expect(() => parseDictionary(bad), bad).toThrow();
    }
  });
});

describe("remoteJwks", () => {
  const [activePublic, previousPublic] = jwks.keys as [JsonWebKey, JsonWebKey];
  function fakeFetch(sets: Jwks[]) {
    const calls = { n: 0 };
    const f = (async () => Response.json(sets[Math.min(calls.n++, sets.length - 1)])) as unknown as typeof fetch;
    return { f, calls };
  }
  async function reasonWith(p: Parts, provider: ReturnType<typeof remoteJwks>) {
    try {
      await verifyKeygateRequest(toRequest(p), { jwks: provider, now: NOW });
      return "verified";
    } catch (err) {
      if (err instanceof KeygateSignatureError) return err.reason;
      throw err;
    }
  }

  it("refetches at once when a signature names a kid the cached set lacks (a rotation), then caches", async () => {
    const { f, calls } = fakeFetch([{ keys: [previousPublic] }, { keys: [activePublic, previousPublic] }, { keys: [] }]);
    const provider = remoteJwks("https://gw.test/.well-known/jwks.json", { fetch: f, minRefetchSeconds: 0 });
    const parts = await sign(ingest);
    expect(await reasonWith(parts, provider)).toBe("verified");
    expect(calls.n).toBe(2);
    expect(await reasonWith(await sign(ingest), provider)).toBe("verified");
    expect(calls.n).toBe(2); // served from the cache
  });

  it("does not refetch for unknown kids more often than minRefetchSeconds", async () => {
    const { f, calls } = fakeFetch([{ keys: [activePublic, previousPublic] }]);
    const provider = remoteJwks("https://gw.test/.well-known/jwks.json", { fetch: f });
    for (let i = 0; i < 3; i++) expect(await reasonWith(await sign(ingest, { key: retiredKey }), provider)).toBe("unknown-key");
    expect(calls.n).toBe(1);
  });
});

describe("loadSigning and the JWKS", () => {
  it("publishes only public parts, active first, previous second", () => {
    expect(jwks.keys.map((k) => (k as { kid?: string }).kid)).toEqual(["kg-20260101-active", "kg-20251201-previous"]);
    for (const k of jwks.keys) {
      expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
      expect(k).not.toHaveProperty("d");
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    }
    expect(JSON.stringify(jwks)).not.toContain(JSON.parse(active.privateJwk).d);
  });

  it("strips a private part given as SIGNING_KEY_PREVIOUS", async () => {
    const s = await loadSigning({ SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: previous.privateJwk });
    expect(JSON.stringify(s.jwks)).not.toContain('"d"');
  });

  it("is cached per isolate for the same values", async () => {
    const vars = { SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: previous.publicJwk };
    expect(await loadSigning(vars)).toBe(await loadSigning({ ...vars }));
  });

  it("refuses a missing or invalid SIGNING_KEY with a clear message", async () => {
    await expect(loadSigning({})).rejects.toThrow(/SIGNING_KEY is not set/);
    await expect(loadSigning({ SIGNING_KEY: "nope" })).rejects.toThrow(/not JSON/);
    await expect(loadSigning({ SIGNING_KEY: active.publicJwk })).rejects.toThrow(/private/);
    const { kid: _kid, ...noKid } = JSON.parse(active.privateJwk);
    await expect(loadSigning({ SIGNING_KEY: JSON.stringify(noKid) })).rejects.toThrow(/kid/);
    const mismatched = { ...JSON.parse(active.privateJwk), x: JSON.parse(previous.publicJwk).x };
    await expect(loadSigning({ SIGNING_KEY: JSON.stringify(mismatched) })).rejects.toThrow(/x/);
    await expect(loadSigning({ SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: "{}" })).rejects.toThrow(/SIGNING_KEY_PREVIOUS/);
    const sameKidOtherKey = JSON.stringify({ ...JSON.parse(previous.publicJwk), kid: "kg-20260101-active" });
    await expect(loadSigning({ SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: sameKidOtherKey })).rejects.toThrow(/another key/);
  });

  it("publishes the active key once when SIGNING_KEY_PREVIOUS is the same key (mid-rotation)", async () => {
    const s = await loadSigning({ SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: active.publicJwk });
    expect(s.jwks.keys).toHaveLength(1);
  });

  it("GET /.well-known/jwks.json serves the set with Cache-Control, and 503 without a key", async () => {
    const app = new OpenAPIHono<AppEnv>();
    for (const e of jwksRoutes) mountEndpoint(app, e);
    app.onError((err) => problemResponse(err instanceof Problem ? err : new Problem("internal"), "req-1", "/.well-known/jwks.json"));
    const res = await app.request("/.well-known/jwks.json", {}, { SIGNING_KEY: active.privateJwk, SIGNING_KEY_PREVIOUS: previous.publicJwk });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(await res.json()).toEqual(jwks);
    const missing = await app.request("/.well-known/jwks.json", {}, {});
    expect(missing.status).toBe(503);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(await missing.json()).toMatchObject({ detail: "Signing is not configured" });
  });
});

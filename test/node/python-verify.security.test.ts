// The Python origin example (examples/python-origin/origin.py) verifies requests signed by the
// gateway's own signing code (src/proxy/signing.ts, run here in Node): a real Python process, real
// HTTP. A valid request is 200 with the identity; every tampering, an expired signature and a
// retired key are 401 with the reason.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDigest, loadSigning, signedComponents, signRequest, type SigningKey } from "../../src/proxy/signing.ts";

const ORIGIN = path.join(import.meta.dirname, "../../examples/python-origin/origin.py");
/** .ci/run sets KEYGATE_PYTHON to an interpreter that has `cryptography`. */
const PYTHON = process.env.KEYGATE_PYTHON ?? "python3";
const hasCryptography = spawnSync(PYTHON, ["-c", "import cryptography"], { stdio: "ignore" }).status === 0;
if (!hasCryptography) {
  console.warn(
    "SKIPPED test/node/python-verify.security.test.ts: `python3 -c \"import cryptography\"` failed. Install python3 and its cryptography package (Debian/Ubuntu: apt-get install python3-cryptography) to run the Python origin tests.",
  );
}

async function keyPair(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const priv = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return JSON.stringify({ ...priv, kid });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

describe.skipIf(!hasCryptography)("the Python origin example verifies keygate's signatures", () => {
  let proc: ChildProcess | undefined;
  let dir: string;
  let jwksFile: string;
  let base: string;
  let active: SigningKey;
  let previous: SigningKey;
  let retired: SigningKey;
  let next: { vars: { SIGNING_KEY: string; SIGNING_KEY_PREVIOUS: string }; key: SigningKey };

  beforeAll(async () => {
    const activeJwk = await keyPair("kg-20260201-active");
    const previousJwk = await keyPair("kg-20260101-prev");
    const nextJwk = await keyPair("kg-20260301-next");
    const signing = await loadSigning({ SIGNING_KEY: activeJwk, SIGNING_KEY_PREVIOUS: previousJwk });
    active = signing.active;
    previous = (await loadSigning({ SIGNING_KEY: previousJwk })).active;
    retired = (await loadSigning({ SIGNING_KEY: await keyPair("kg-20250101-retired") })).active;
    const nextVars = { SIGNING_KEY: nextJwk, SIGNING_KEY_PREVIOUS: activeJwk };
    next = { vars: nextVars, key: (await loadSigning(nextVars)).active };

    dir = mkdtempSync(path.join(tmpdir(), "keygate-pyorigin-"));
    jwksFile = path.join(dir, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify(signing.jwks));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = spawn(PYTHON, [ORIGIN, "--port", String(port), "--jwks-file", jwksFile], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`origin.py did not start within 10 s: ${stderr}`)), 10_000);
      proc!.stdout!.on("data", (d) => {
        if (String(d).includes("listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc!.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`origin.py exited with ${code}: ${stderr}`));
      });
    });
  }, 15_000);

  afterAll(() => {
    proc?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  type Req = { method: string; path: string; headers: Record<string, string>; body?: string };
  const identity = {
    "x-keygate-key-id": "key_01HZX",
    "x-keygate-tenant-id": "ten_01HZY",
    "x-keygate-scopes": "query jobs:write",
    "x-keygate-environment": "live",
    "x-request-id": "req-py-1",
  };
  const ingest: Req = {
    method: "POST",
    path: "/v1/ingest?source=s3&note=a%20b",
    headers: { ...identity, "content-type": "application/json", "x-keygate-job-id": "job_01J" },
    body: JSON.stringify({ rows: [1, 2, 3], text: "héllo" }),
  };

  /** Signs the way the gateway does; `mutate` then changes the request on its way to the origin. */
  async function send(
    req: Req,
    opts: {
      key?: SigningKey;
      created?: number;
      expires?: number;
      /** Sign for another authority than the one the request reaches. */
      signedHost?: string;
      mutate?: (r: { method: string; path: string; headers: Headers; body?: string }) => void;
    } = {},
  ) {
    const url = new URL(base + req.path);
    if (opts.signedHost) url.host = opts.signedHost;
    const headers = new Headers(req.headers);
    const bytes = req.body === undefined ? undefined : new TextEncoder().encode(req.body);
    if (bytes) headers.set("content-digest", await contentDigest(bytes));
    const created = opts.created ?? Math.floor(Date.now() / 1000);
    const sig = await signRequest({ method: req.method, url, headers }, opts.key ?? active, {
      created,
      expires: opts.expires ?? created + 60,
      components: signedComponents(bytes !== undefined, headers.has("x-keygate-job-id")),
    });
    headers.set("signature-input", sig["Signature-Input"]);
    headers.set("signature", sig.Signature);
    const sent = { method: req.method, path: req.path, headers, body: req.body };
    opts.mutate?.(sent);
    const res = await fetch(base + sent.path, { method: sent.method, headers: sent.headers, body: sent.body });
    return { status: res.status, json: (await res.json()) as any };
  }

  it("a valid signed ingest request: 200, verified, with the identity, headers and body", async () => {
    const { status, json } = await send(ingest);
    expect(json.reason).toBeUndefined();
    expect(status).toBe(200);
    expect(json).toMatchObject({
      verified: true,
      identity: { keyId: "key_01HZX", tenantId: "ten_01HZY", scopes: ["query", "jobs:write"], environment: "live", requestId: "req-py-1", jobId: "job_01J" },
      method: "POST",
      path: "/v1/ingest",
      query: "?source=s3&note=a%20b",
      body: ingest.body,
    });
    expect(json.headers["x-keygate-tenant-id"]).toBe("ten_01HZY");
    expect(json.headers["signature-input"]).toContain('keyid="kg-20260201-active"');
  });

  it("a valid GET without a body or query; and one signed by the previous key", async () => {
    const get: Req = { method: "GET", path: "/v1/query", headers: identity };
    expect(await send(get)).toMatchObject({ status: 200, json: { verified: true, query: "", body: "" } });
    expect(await send(get, { key: previous })).toMatchObject({ status: 200, json: { verified: true } });
  });

  const rejected: [string, Parameters<typeof send>[1], string][] = [
    ["tampered method", { mutate: (r) => void (r.method = "PUT") }, "bad-signature"],
    ["another authority", { signedHost: "ingest.internal:8443" }, "bad-signature"],
    ["tampered path", { mutate: (r) => void (r.path = r.path.replace("/v1/ingest", "/v1/ingest/x")) }, "bad-signature"],
    ["tampered query", { mutate: (r) => void (r.path = r.path.replace("s3", "gcs")) }, "bad-signature"],
    ["tampered body", { mutate: (r) => void (r.body = r.body!.replace("[1,2,3]", "[1,2,4]")) }, "digest-mismatch"],
    ["stripped content-digest", { mutate: (r) => r.headers.delete("content-digest") }, "missing-header"],
    ["tampered tenant id", { mutate: (r) => r.headers.set("x-keygate-tenant-id", "ten_other") }, "bad-signature"],
    ["tampered scopes", { mutate: (r) => r.headers.set("x-keygate-scopes", "query jobs:write admin") }, "bad-signature"],
    ["tampered key id", { mutate: (r) => r.headers.set("x-keygate-key-id", "key_other") }, "bad-signature"],
    ["tampered request id", { mutate: (r) => r.headers.set("x-request-id", "req-replayed") }, "bad-signature"],
    ["tampered environment", { mutate: (r) => r.headers.set("x-keygate-environment", "test") }, "bad-signature"],
    ["removed environment", { mutate: (r) => r.headers.delete("x-keygate-environment") }, "missing-header"],
    ["tampered job id", { mutate: (r) => r.headers.set("x-keygate-job-id", "job_other") }, "bad-signature"],
    ["a second Signature", { mutate: (r) => r.headers.append("signature", r.headers.get("signature")!) }, "duplicate-signature"],
    ["no signature", { mutate: (r) => (r.headers.delete("signature"), r.headers.delete("signature-input")) }, "missing-signature"],
    ["expired", { created: Math.floor(Date.now() / 1000) - 600, expires: Math.floor(Date.now() / 1000) - 540 }, "expired"],
    ["created in the future", { created: Math.floor(Date.now() / 1000) + 600 }, "created-in-future"],
  ];
  for (const [what, opts, reason] of rejected) {
    it(`${what}: 401 ${reason}`, async () => {
      expect(await send(ingest, opts)).toEqual({ status: 401, json: expect.objectContaining({ verified: false, reason }) });
    });
  }

  it("a retired key (not in the JWKS): 401 unknown-key", async () => {
    expect(await send(ingest, { key: retired })).toEqual({ status: 401, json: expect.objectContaining({ verified: false, reason: "unknown-key" }) });
  });

  it("after a rotation the origin picks up the new key from its JWKS file on the unknown kid", async () => {
    expect((await send(ingest, { key: next.key })).json.reason).toBe("unknown-key");
    writeFileSync(jwksFile, JSON.stringify((await loadSigning(next.vars)).jwks));
    expect(await send(ingest, { key: next.key })).toMatchObject({ status: 200, json: { verified: true } });
    expect(await send(ingest)).toMatchObject({ status: 200, json: { verified: true } }); // the old active is now previous
    expect((await send(ingest, { key: previous })).json.reason).toBe("unknown-key"); // dropped from the set
  });
  /** One HTTP/1.1 exchange over a raw socket, so header lines can repeat exactly as written. */
  function raw(lines: string[], body = ""): Promise<{ status: number; json: any }> {
    const { port } = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write([...lines, `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close", "", body].join("\r\n"));
      });
      let data = "";
      socket.on("data", (d) => (data += d));
      socket.on("end", () => {
        const [head = "", payload = ""] = data.split("\r\n\r\n");
        resolve({ status: Number(head.split(" ")[1]), json: JSON.parse(payload) });
      });
      socket.on("error", reject);
    });
  }

  async function signedLines(extra: Record<string, string> = {}) {
    const url = new URL(base + "/v1/query?q=1");
    const headers = new Headers(identity);
    const created = Math.floor(Date.now() / 1000);
    const sig = await signRequest({ method: "GET", url, headers }, active, { created, expires: created + 60, components: signedComponents(false, false) });
    return [
      "GET /v1/query?q=1 HTTP/1.1",
      `Host: ${url.host}`,
      ...Object.entries({ ...identity, ...extra }).map(([k, v]) => `${k}: ${v}`),
      `Signature-Input: ${sig["Signature-Input"]}`,
      `Signature: ${sig.Signature}`,
    ];
  }

  it("over a raw socket: the signed request verifies; repeated header lines are joined, not ignored", async () => {
    expect(await raw(await signedLines())).toMatchObject({ status: 200, json: { verified: true } });
    const lines = await signedLines();
    expect(await raw([...lines, "X-Keygate-Tenant-Id: ten_injected"])).toMatchObject({ status: 401, json: { reason: "bad-signature" } });
    const sigLine = lines.find((l) => l.startsWith("Signature: "))!;
    expect(await raw([...lines, sigLine])).toMatchObject({ status: 401, json: { reason: "duplicate-signature" } });
  });
});

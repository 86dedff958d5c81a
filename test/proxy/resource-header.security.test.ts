// X-Keygate-Resource is part of the signed identity: only keygate sets it, from the route it matched.
// A client's own, in any spelling, on a route that names a resource or not, never reaches an
// origin; one changed or added on the way is refused by the origin helper.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyKeygateRequest, type KeygateSignatureReason } from "../../origin/verify.ts";
import { loadSigning, RESOURCE_HEADER, signedComponents, signRequest } from "../../src/proxy/signing.ts";
import { BASE, call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let client: { key: string; id: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey());
  client = await createKey(admin, { scopes: ["query"] });
});

const FORGED = ["X-Keygate-Resource", "x-keygate-resource", "X-KEYGATE-RESOURCE", "X_Keygate_Resource", "x_keygate_resource"];

/** Every header line the origin received, as [lowercased name, value]. */
function lines(seen: { rawHeaders: string[] }): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) out.push([seen.rawHeaders[i]!.toLowerCase(), seen.rawHeaders[i + 1]!]);
  return out;
}

/** Sends with header lines exactly as given (repeats included). */
function send(path: string, headerLines: [string, string][], method = "GET"): Promise<Response> {
  const headers = new Headers({ Authorization: `Bearer ${client.key}`, "cf-connecting-ip": "198.51.100.77" });
  for (const [n, v] of headerLines) headers.append(n, v);
  return exports.default.fetch(new Request(BASE + path, { method, headers }));
}

describe("a client's X-Keygate-Resource", () => {
  const forged = FORGED.flatMap((name): [string, string][] => [
    [name, "agent=admin"],
    [name, "agent=*"],
  ]);

  it("on a resource route: the origin gets keygate's one line, agent=a_1, and nothing the client sent", async () => {
    const res = await send("/v1/agents/a_1", [...forged, ["Connection", "x-keygate-resource"]]);
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified, seen.reason).toBe(true);
    const resourceLines = lines(seen).filter(([n]) => n.replaceAll("_", "-") === RESOURCE_HEADER);
    expect(resourceLines).toEqual([[RESOURCE_HEADER, "agent=a_1"]]);
    expect(JSON.stringify(seen.rawHeaders)).not.toMatch(/admin|agent=\*/);
    expect(seen.identity.resource).toEqual({ type: "agent", id: "a_1" });
  });

  it("on a route without a resource: none reaches the origin, and the signature does not list it", async () => {
    for (const path of ["/v1/echo/x", "/v1/query"]) {
      const res = await send(path, forged, path === "/v1/query" ? "POST" : "GET");
      expect(res.status, path).toBe(200);
      const seen = await json(res);
      expect(seen.verified, seen.reason).toBe(true);
      expect(JSON.stringify(seen.rawHeaders ?? seen.headers), path).not.toMatch(/agent=/);
      expect(seen.identity.resource, path).toBeUndefined();
      expect(seen.headers["signature-input"], path).not.toContain(RESOURCE_HEADER);
    }
  });

  it("with an id that is not one: 400 before anything is forwarded, the forged value never echoed", async () => {
    const res = await send("/v1/agents/a%20b", forged);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.headers.get("x-origin")).toBeNull();
    const text = await res.text();
    expect(JSON.parse(text).type).toBe("https://keygate.dev/problems/bad-request");
    expect(text).not.toContain("admin");
  });
});

describe("the origin helper and X-Keygate-Resource", () => {
  const identity = {
    "x-keygate-key-id": "key_01",
    "x-keygate-tenant-id": "ten_01",
    "x-keygate-scopes": "query",
    "x-keygate-environment": "live",
    "x-request-id": "req-1",
  };

  async function signed(headers: Record<string, string>, withResource: boolean) {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = JSON.stringify({ ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid: "kg-test" });
    const signing = await loadSigning({ SIGNING_KEY: jwk });
    const url = new URL("https://origin.test/v1/agents/a_1");
    const h = new Headers(headers);
    const created = Math.floor(Date.now() / 1000);
    const sig = await signRequest({ method: "GET", url, headers: h }, signing.active, { created, expires: created + 60, components: signedComponents(false, false, withResource) });
    h.set("signature-input", sig["Signature-Input"]);
    h.set("signature", sig.Signature);
    return { url, headers: h, jwks: signing.jwks };
  }

  async function reason(url: URL, headers: Headers, jwks: { keys: JsonWebKey[] }): Promise<KeygateSignatureReason | "ok"> {
    try {
      await verifyKeygateRequest(new Request(url, { headers }), { jwks });
      return "ok";
    } catch (err) {
      return (err as { reason: KeygateSignatureReason }).reason;
    }
  }

  it("a signed resource verifies and is returned; changed on the way, the signature fails", async () => {
    const { url, headers, jwks } = await signed({ ...identity, [RESOURCE_HEADER]: "agent=a_1" }, true);
    const id = await verifyKeygateRequest(new Request(url, { headers }), { jwks });
    expect(id.resource).toEqual({ type: "agent", id: "a_1" });
    headers.set(RESOURCE_HEADER, "agent=admin");
    expect(await reason(url, headers, jwks)).toBe("bad-signature");
    headers.delete(RESOURCE_HEADER);
    expect(await reason(url, headers, jwks)).toBe("missing-header");
  });

  it("one added after signing (not covered) is refused, not trusted: missing-component", async () => {
    const { url, headers, jwks } = await signed(identity, false);
    expect(await reason(url, headers, jwks)).toBe("ok");
    headers.set(RESOURCE_HEADER, "agent=admin");
    expect(await reason(url, headers, jwks)).toBe("missing-component");
  });
});

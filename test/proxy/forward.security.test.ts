// What a client sends that must never reach an origin: its credential, identity and signature
// headers in any letter case and any number, forwarding and hop-by-hop headers.
import { beforeAll, describe, expect, it } from "vitest";
import { createKey, json, platformKey, tenantWithAdmin, call, BASE } from "../helpers.ts";
import { exports } from "cloudflare:workers";

let client: { key: string; id: string };
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { scopes: ["query", "jobs:write"] });
});

const SMUGGLED = [
  "X-Keygate-Key-Id",
  "x-keygate-tenant-id",
  "X-KEYGATE-SCOPES",
  "X-Keygate-Environment",
  "X-Keygate-Job-Id",
  "X-Keygate-Anything",
  "Signature",
  "signature-input",
  "Content-Digest",
  "Forwarded",
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Real-IP",
  "CF-Connecting-IP",
  "Cookie",
  "Proxy-Authorization",
  "Upgrade",
  "TE",
  "X-Hop",
];

describe("header smuggling", () => {
  it("no identity, signature, credential, forwarding or hop-by-hop header of the client reaches the origin", async () => {
    const headers = new Headers({ Authorization: `Bearer ${client.key}`, Connection: "X-Hop" });
    for (const name of SMUGGLED) {
      headers.append(name, "forged");
      headers.append(name.toLowerCase(), "forged-again");
    }
    headers.set("X-Api-Key", client.key);
    const res = await exports.default.fetch(new Request(`${BASE}/v1/echo/smuggle`, { headers }));
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    const raw: string[] = seen.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) expect(raw[i + 1], raw[i]).not.toContain("forged");
    expect(JSON.stringify(seen)).not.toContain(client.key.slice(8));
    expect(seen.headers["x-keygate-key-id"]).toBe(client.id);
    expect(raw.filter((h, i) => i % 2 === 0 && h.toLowerCase() === "x-keygate-key-id")).toHaveLength(1);
  });

  it("the Python origin sees no credential either", async () => {
    const res = await call("/v1/query", { key: client.key, body: { q: 1 }, headers: { "X-Keygate-Tenant-Id": "ten_forged", Signature: "kg=:Zm9v:" } });
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["x-keygate-tenant-id"]).not.toBe("ten_forged");
  });

  it("a key of the wrong scope is refused before anything is forwarded", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const reader = await createKey(admin, { scopes: ["jobs:read"] });
    const res = await call("/v1/query", { key: reader.key, body: {} });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="query"');
  });
});

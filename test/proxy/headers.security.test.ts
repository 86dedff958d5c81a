// Header names an origin reads as another one. CGI, WSGI and most frameworks built on them turn a
// header name into a variable by upper-casing it and replacing "-" with "_", so `X_Keygate_Key_Id`
// and `X-Keygate_Key_Id` land on HTTP_X_KEYGATE_KEY_ID, the variable keygate's signed
// `X-Keygate-Key-Id` lands on (and which one wins depends on the server). Every name keygate drops
// is dropped in these spellings too.
import { describe, expect, it, beforeAll } from "vitest";
import { exports } from "cloudflare:workers";
import { forwardableHeaders } from "../../src/proxy/headers.ts";
import { BASE, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

const UNDERSCORED = [
  "X-Keygate_Tenant_Id",
  "X_Keygate_Key_Id",
  "x_keygate_scopes",
  "X_KEYGATE_ENVIRONMENT",
  "X_Keygate_Job_Id",
  "X_Keygate_Anything",
  "Signature_Input",
  "Content_Digest",
  "X_Request_Id",
  "X_Forwarded_For",
  "X_Forwarded_Host",
  "X-Forwarded_Proto",
  "CF_Connecting_IP",
  "Cf_Ray",
  "X_Real_IP",
  "True_Client_IP",
  "X_Original_URL",
  "X_HTTP_Method_Override",
  "Proxy_Authorization",
  "X_API_Key",
  "Keep_Alive",
  "Proxy_Connection",
  "X_Hop",
];

function smuggled(): Headers {
  const h = new Headers({ Connection: "X-Hop" });
  for (const name of UNDERSCORED) h.append(name, `forged-${name}`);
  return h;
}

describe("forwardableHeaders", () => {
  it("drops a name whose `_` stand for `-` like the name itself, prefixes and Connection-named ones included", () => {
    const out = forwardableHeaders(smuggled());
    expect([...out]).toEqual([]);
  });

  it("keeps ordinary names that merely contain `_`", () => {
    const out = forwardableHeaders(new Headers({ X_Trace_Id: "t", Accept_Language_Hint: "x", "x-keygate": "not a prefix" }));
    expect([...out.keys()].sort()).toEqual(["accept_language_hint", "x-keygate", "x_trace_id"]);
  });
});

describe("underscored identity headers on a real forwarded request", () => {
  let client: { key: string; id: string; tenantId: string };
  beforeAll(async () => {
    const { admin } = await tenantWithAdmin(await platformKey());
    client = await createKey(admin, { scopes: ["query"] });
  });

  it("never reach the origin; it sees keygate's signed identity only", async () => {
    const headers = smuggled();
    headers.set("Authorization", `Bearer ${client.key}`);
    const res = await exports.default.fetch(new Request(`${BASE}/v1/echo/underscores`, { headers }));
    expect(res.status).toBe(200);
    const seen = await json(res);
    expect(seen.verified).toBe(true);
    expect(JSON.stringify(seen.rawHeaders)).not.toContain("forged");
    const names = (seen.rawHeaders as string[]).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase().replace(/_/g, "-"));
    for (const name of ["x-keygate-key-id", "x-keygate-tenant-id", "x-request-id"]) expect(names.filter((n) => n === name), name).toHaveLength(1);
    expect(seen.identity).toMatchObject({ keyId: client.id, tenantId: client.tenantId });
  });
});

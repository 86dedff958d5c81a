// The body stage refuses a JSON body that gives a member twice. JSON.parse keeps the last one, so
// `"permissionSet": "read_only"` then `"full_access"` would quietly mint an admin key while whatever
// read the first (a proxy, a log, a reviewer) saw a read-only one. Forwarded bodies are the
// client's data and go to the origin as sent.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../support/admin.ts";
import { BASE, call, createKey, json, platformKey, tenantWithAdmin } from "../../support/gateway.ts";

let platform: string;
let admin: string;
let tenantId: string;
let keyId: string;
beforeAll(async () => {
  platform = await platformKey();
  const t = await tenantWithAdmin(platform);
  admin = t.admin;
  tenantId = t.tenant.id;
  keyId = (await createKey(admin, { name: "target", permissionSet: "read_only" })).id;
});

const raw = (body: string, headers: Record<string, string> = {}) => ({ body, headers: { "content-type": "application/json", ...headers } });
const snapshot = async () =>
  JSON.stringify(
    (await env.DB.batch([env.DB.prepare("SELECT * FROM tenants ORDER BY id"), env.DB.prepare("SELECT * FROM api_keys ORDER BY id")])).map((r) => r.results),
  );

async function expectDuplicate(res: Response, path: string) {
  const body = await expectProblem(res, 422, "validation-failed");
  expect(body.errors).toEqual([{ path, message: expect.stringMatching(/more than once/) }]);
}

describe("duplicate members in a code route's JSON body", () => {
  it("permissionSet given twice is 422 naming it; no key is made", async () => {
    const before = await snapshot();
    const res = await call("/v1/keys", { key: admin, ...raw(`{"name":"sneaky","permissionSet":"read_only","permissionSet":"full_access"}`) });
    await expectDuplicate(res, "permissionSet");
    expect(await snapshot()).toBe(before);
  });

  it("at any depth, however the name is escaped, on every kind of code route", async () => {
    const before = await snapshot();
    const cases: [string, Parameters<typeof call>[1], string][] = [
      ["/v1/keys", { key: admin, ...raw(`{"name":"n","permissionSet":"read_only","rateLimit":{"capacity":1,"refillPerSecond":1,"capacity":1000}}`) }, "rateLimit.capacity"],
      ["/v1/keys", { key: admin, ...raw(`{"name":"n","scopes":["query"],"\\u0073copes":["*"]}`) }, "scopes"],
      ["/v1/tenants", { key: platform, ...raw(`{"name":"a","slug":"dup-a","plan":"free","plan":"enterprise"}`) }, "plan"],
      [`/v1/tenants/${tenantId}`, { key: platform, method: "PATCH", ...raw(`{"active":true,"active":false}`) }, "active"],
      [`/v1/keys/${keyId}`, { key: admin, method: "PATCH", ...raw(`{"scopes":["query"],"scopes":["admin"]}`) }, "scopes"],
      [`/v1/keys/${keyId}/roll`, { key: admin, ...raw(`{"gracePeriodSeconds":0,"gracePeriodSeconds":604800}`) }, "gracePeriodSeconds"],
      [`/v1/keys/${keyId}/revoke`, { key: admin, ...raw(`{"reason":"a","reason":"b"}`, { "content-type": "application/merge-patch+json" }) }, "reason"],
    ];
    for (const [path, opts, member] of cases) await expectDuplicate(await call(path, opts), member);
    expect(await snapshot()).toBe(before);
  });

  it("also when the body is streamed without a Content-Length", async () => {
    const streamed = (text: string) =>
      exports.default.fetch(
        new Request(`${BASE}/v1/keys`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", "cf-connecting-ip": "198.51.100.7" },
          body: new Blob([text]).stream(),
          duplex: "half",
        } as RequestInit),
      );
    await expectDuplicate(await streamed(`{"name":"s","permissionSet":"read_only","permissionSet":"full_access"}`), "permissionSet");
    const ok = await streamed(`{"name":"streamed","permissionSet":"read_only"}`);
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await json(ok)).toMatchObject({ name: "streamed", scopes: ["jobs:read", "query"] });
  });

  it("a body without duplicates is still read and validated as before (the stage's read is cached)", async () => {
    const res = await call("/v1/keys", { key: admin, ...raw(`{"name":"plain","permissionSet":"read_only","rateLimit":{"capacity":5,"refillPerSecond":1}}`) });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ name: "plain", scopes: ["jobs:read", "query"], rateLimit: { capacity: 5, refillPerSecond: 1 } });
    // Malformed JSON is still the validator's 400, wrong shapes its 422.
    await expectProblem(await call("/v1/keys", { key: admin, ...raw(`{"name":"x",`) }), 400, "bad-request");
    await expectProblem(await call("/v1/keys", { key: admin, ...raw(`{"name":"x","nope":1}`) }), 422, "validation-failed");
  });
});

describe("forwarded bodies", () => {
  it("go to the origin as sent, duplicates and all", async () => {
    const client = await createKey(admin, { scopes: ["query"] });
    const text = `{"a":1,"a":2}`;
    const res = await call("/v1/echo", { key: client.key, ...raw(text) });
    expect(res.status).toBe(200);
    expect((await json(res)).body).toBe(text);
  });
});

// Sign-in refusals: the form comes back with the problem's words and its status, never the key,
// and no session is opened.
import { beforeAll, describe, expect, it } from "vitest";
import { mintSecret } from "../../src/keys/mint.ts";
import { call, createKey, createTenant, platformKey } from "../support/gateway.ts";
import { FORM, KEY_MATERIAL, postSignIn, request, signIn } from "./helpers.ts";

let platform: string;
let tenantId: string;

beforeAll(async () => {
  platform = await platformKey();
  tenantId = (await createTenant(platform)).id;
});

async function refused(res: Response, status: number, says: RegExp, presented?: string) {
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("set-cookie")).toBeNull();
  expect(html).toMatch(/data-testid="signin-error"/);
  expect(html).toMatch(says);
  // The form is empty again: no value attribute, and the key is nowhere in the page.
  expect(html).not.toMatch(/name="key"[^>]*value=/);
  if (presented) expect(html).not.toContain(presented);
  expect(html).not.toMatch(KEY_MATERIAL);
}

describe("sign-in refusals", () => {
  it("an unknown key is 401 with the API's words", async () => {
    // Well-formed, right checksum, never stored.
    const { secret } = await mintSecret("live");
    await refused(await postSignIn(secret), 401, /not valid/i, secret);
  });

  it("a malformed key is 401", async () => {
    await refused(await postSignIn("kg_live_nope"), 401, /not a whole keygate key/i);
  });

  it("a revoked key is 401", async () => {
    const made = await createKey(platform, { tenantId, permissionSet: "full_access" });
    expect((await call(`/v1/keys/${made.id}/revoke`, { key: platform, body: { reason: "test" } })).status).toBe(200);
    await refused(await postSignIn(made.key), 401, /revoked/i, made.key);
  });

  it("a key without admin or platform scope is 403", async () => {
    const made = await createKey(platform, { tenantId, permissionSet: "read_only" });
    await refused(await postSignIn(made.key), 403, /admin or platform/i, made.key);
  });

  it("an empty field, or no form at all, is 400", async () => {
    await refused(await postSignIn(""), 400, /Enter an admin or platform key/);
    await refused(await request("/console/sign-in", { method: "POST", body: JSON.stringify({ key: platform }), headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" } }), 400, /Enter an admin or platform key/, platform);
  });

  it("an oversized form is 413", async () => {
    await refused(await request("/console/sign-in", { method: "POST", body: `key=${"a".repeat(10_000)}`, headers: FORM }), 413, /too long/);
  });

  it("someone already signed in is sent on to the console", async () => {
    const cookie = await signIn(platform);
    const res = await request("/console/sign-in", { headers: { cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console");
  });
});

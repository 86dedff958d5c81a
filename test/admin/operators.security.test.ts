// Operators and Access tokens, attacked: forged, expired, foreign and key-less tokens, people who
// are not operators, roles that read only, tenants that never see each other, cross-site writes,
// and forwarded routes, which a person never reaches.
import { describe, expect, it } from "vitest";
import { expectProblem, waitFor } from "../support/admin.ts";
import { call, createTenant, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { accessToken, addOperator, asPerson, issuer, newEmail } from "../support/people.ts";

const withToken = (token: string, path: string, opts: { method?: string; body?: unknown; key?: string; headers?: Record<string, string> } = {}) =>
  call(path, { ...opts, headers: { "cf-access-jwt-assertion": token, ...opts.headers } });

describe("Access tokens that are not good enough", () => {
  it("a person who is not an operator is refused with 403", async () => {
    await expectProblem(await asPerson(newEmail("stranger"), "/v1/auth/me"), 403, "not-an-operator");
  });

  it("expired, wrong audience, wrong issuer, unsigned and tampered tokens are 401", async () => {
    const platform = await platformKey();
    const op = await addOperator(platform, { role: "owner" });
    const bad = [
      await accessToken(op.email, { expiresIn: -120 }),
      await accessToken(op.email, { aud: "someone-elses-app" }),
      await accessToken(op.email, { iss: "https://evil.cloudflareaccess.com" }),
    ];
    const good = await accessToken(op.email);
    const [h, p] = good.split(".");
    bad.push(`${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${p}.`);
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    bad.push(`${h}.${Buffer.from(JSON.stringify({ ...claims, email: "other@example.com" })).toString("base64url")}.${good.split(".")[2]}`);
    bad.push("not-a-jwt");
    for (const token of bad) await expectProblem(await withToken(token, "/v1/auth/me"), 401, "invalid-access-token");
  });

  it("a token with no e-mail (a service token) is 403: automation uses keys", async () => {
    const token = await (await issuer()).mintAccessJwt({ email: undefined as never, claims: { common_name: "svc.example" } });
    await expectProblem(await withToken(token, "/v1/auth/me"), 403, "not-an-operator");
  });

  it("a token with no expiry is refused, however well signed", async () => {
    const platform = await platformKey();
    const op = await addOperator(platform, { role: "owner" });
    const { importJWK, SignJWT } = await import("jose");
    const minter = await issuer();
    const key = minter.info.keys[0]!;
    const noExp = await new SignJWT({ email: op.email })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setIssuer(minter.info.teamDomain)
      .setAudience(minter.info.aud)
      .setIssuedAt()
      .sign(await importJWK(key.privateJwk, "RS256"));
    await expectProblem(await withToken(noExp, "/v1/auth/me"), 401, "invalid-access-token");
  });

  it("a service token (automation behind Access) beside an API key is genuine and lets the key through", async () => {
    const platform = await platformKey();
    const service = await (await issuer()).mintAccessJwt({ email: undefined as never, claims: { common_name: "ci.example" } });
    expect((await call("/v1/auth/me", { key: platform, headers: { "cf-access-jwt-assertion": service } })).status).toBe(200);
  });

  it("a forged token beside a valid key is still refused", async () => {
    const platform = await platformKey();
    await expectProblem(await call("/v1/auth/me", { key: platform, headers: { "cf-access-jwt-assertion": "forged.token.here" } }), 401, "invalid-access-token");
  });

  it("keys that rotate are matched by kid: a token from a newly published key verifies", async () => {
    const platform = await platformKey();
    const op = await addOperator(platform, { role: "viewer" });
    const minter = await issuer();
    const kid = await minter.rotate();
    // The gateway refetches the set for a kid it has not seen, at most every 5 s.
    const res = await waitFor(async () => {
      const r = await withToken(await minter.mintAccessJwt({ email: op.email, kid }), "/v1/auth/me");
      return r.status === 200 ? r : undefined;
    }, "the new key to verify", 8_000);
    expect(res.status).toBe(200);
  });

  it("a removed operator is refused on the next request", async () => {
    const platform = await platformKey();
    const op = await addOperator(platform, { role: "owner" });
    expect((await asPerson(op.email, "/v1/auth/me")).status).toBe(200);
    await call(`/v1/operators/${op.id}`, { key: platform, method: "DELETE" });
    await expectProblem(await asPerson(op.email, "/v1/auth/me"), 403, "not-an-operator");
  });
});

describe("roles", () => {
  it("a viewer reads but changes nothing", async () => {
    const platform = await platformKey();
    const viewer = await addOperator(platform, { role: "viewer" });
    expect((await asPerson(viewer.email, "/v1/keys")).status).toBe(200);
    expect((await asPerson(viewer.email, "/v1/tenants")).status).toBe(200);
    await expectProblem(await asPerson(viewer.email, "/v1/tenants", { body: { name: "No", slug: `no-${Date.now()}`, plan: "pro" } }), 403, "operator-role");
    await expectProblem(await asPerson(viewer.email, "/v1/keys", { body: { name: "no" } }), 403, "operator-role");
    await expectProblem(await asPerson(viewer.email, "/v1/alerts/alr_0000000000000000", { method: "DELETE" }), 403, "operator-role");
  });

  it("an admin runs keys but not tenants or operators", async () => {
    const platform = await platformKey();
    const admin = await addOperator(platform, { role: "admin" });
    const tenant = await createTenant(platform);
    expect((await asPerson(admin.email, "/v1/keys", { body: { name: `a-${Date.now()}`, tenantId: tenant.id, permissionSet: "read_only" } })).status).toBe(201);
    await expectProblem(await asPerson(admin.email, `/v1/tenants/${tenant.id}`, { method: "PATCH", body: { name: "Renamed" } }), 403, "operator-role");
    await expectProblem(await asPerson(admin.email, "/v1/operators", { body: { email: newEmail(), role: "owner" } }), 403, "operator-role");
  });

  it("a platform-wide admin cannot mint or roll a key that outranks its role", async () => {
    const platform = await platformKey();
    const admin = await addOperator(platform, { role: "admin" });
    const { keyId } = await json(await call("/v1/auth/me", { key: platform })).then((me: any) => ({ keyId: me.key.id }));
    await expectProblem(await asPerson(admin.email, "/v1/keys", { body: { name: `escalate-${Date.now()}`, scopes: ["platform", "admin"] } }), 403, "insufficient-scope");
    await expectProblem(await asPerson(admin.email, `/v1/keys/${keyId}/roll`, { body: {} }), 403, "insufficient-scope");
    await expectProblem(await asPerson(admin.email, `/v1/keys/${keyId}/revoke`, { body: { reason: "takeover" } }), 403, "insufficient-scope");
    // An owner may: everything in its reach.
    const owner = await addOperator(platform, { role: "owner" });
    expect((await asPerson(owner.email, "/v1/keys", { body: { name: `by-owner-${Date.now()}`, scopes: ["platform"] } })).status).toBe(201);
  });

  it("nobody changes or removes themselves", async () => {
    const platform = await platformKey();
    const owner = await addOperator(platform, { role: "owner" });
    await expectProblem(await asPerson(owner.email, `/v1/operators/${owner.id}`, { method: "PATCH", body: { role: "viewer" } }), 403, "operator-role");
    await expectProblem(await asPerson(owner.email, `/v1/operators/${owner.id}`, { method: "DELETE" }), 403, "operator-role");
  });
});

describe("tenants never see each other", () => {
  it("a tenant's owner sees none of another tenant's keys, audit or tenant, and manages no operators (platform scope)", async () => {
    const platform = await platformKey();
    const a = await tenantWithAdmin(platform);
    const b = await tenantWithAdmin(platform);
    const ownerA = await addOperator(platform, { role: "owner", tenantId: a.tenant.id });
    const ownerB = await addOperator(platform, { role: "owner", tenantId: b.tenant.id });
    await expectProblem(await asPerson(ownerA.email, `/v1/keys/${b.adminId}`), 404, "not-found");
    await expectProblem(await asPerson(ownerA.email, `/v1/tenants/${b.tenant.id}`), 403, "insufficient-scope");
    await expectProblem(await asPerson(ownerA.email, `/v1/audit?tenantId=${b.tenant.id}`), 404, "not-found");
    await expectProblem(await asPerson(ownerA.email, `/v1/operators/${ownerB.id}`), 403, "insufficient-scope");
    await expectProblem(await asPerson(ownerA.email, "/v1/operators", { body: { email: newEmail(), role: "owner", tenantId: a.tenant.id } }), 403, "insufficient-scope");
    const keys = await json(await asPerson(ownerA.email, "/v1/keys"));
    expect(keys.data.length).toBeGreaterThan(0);
    expect(keys.data.map((k: any) => k.tenantId)).toEqual(keys.data.map(() => a.tenant.id));
  });

  it("a tenant's admin key cannot manage operators (platform scope)", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    await expectProblem(await call("/v1/operators", { key: admin }), 403, "insufficient-scope");
    await expectProblem(await call("/v1/operators", { key: admin, body: { email: newEmail(), role: "owner" } }), 403, "insufficient-scope");
  });
});

describe("what a person's browser cannot be made to do", () => {
  it("a change sent from another site is refused (Fetch Metadata)", async () => {
    const platform = await platformKey();
    const owner = await addOperator(platform, { role: "owner" });
    await expectProblem(
      await asPerson(owner.email, "/v1/operators", { body: { email: newEmail(), role: "owner" }, headers: { "sec-fetch-site": "cross-site" } }),
      403,
      "csrf-failed",
    );
    expect((await asPerson(owner.email, "/v1/operators", { body: { email: newEmail(), role: "viewer" }, headers: { "sec-fetch-site": "same-origin" } })).status).toBe(201);
  });

  it("a browser without Fetch Metadata is judged by Origin: a body-less change from another site is refused", async () => {
    const platform = await platformKey();
    const owner = await addOperator(platform, { role: "owner" });
    const alert = await json(await asPerson(owner.email, "/v1/alerts", { body: { name: "r", metric: "requests", threshold: 1, windowMinutes: 5, webhookUrl: "http://127.0.0.1:9/hook" } }));
    const rotate = (headers: Record<string, string>) => asPerson(owner.email, `/v1/alerts/${alert.id}/rotate-secret`, { method: "POST", headers });
    await expectProblem(await rotate({ origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }), 403, "csrf-failed");
    expect((await rotate({ origin: "https://gw.test" })).status).toBe(200);
    expect((await rotate({})).status).toBe(200); // a CLI sends neither header
  });

  it("a person never reaches a forwarded route", async () => {
    const platform = await platformKey();
    const owner = await addOperator(platform, { role: "owner" });
    await expectProblem(await asPerson(owner.email, "/v1/echo", { method: "GET" }), 401, "api-key-required");
  });

  it("an operator's e-mail is unique, whatever its case", async () => {
    const platform = await platformKey();
    const email = newEmail();
    await addOperator(platform, { email, role: "viewer" });
    await expectProblem(await call("/v1/operators", { key: platform, body: { email: email.toUpperCase(), role: "owner" } }), 409, "conflict");
  });
});

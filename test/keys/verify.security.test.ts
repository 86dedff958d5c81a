// Keys in URLs are refused, and no key ever reaches a log line, an error body, D1 or KV.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateKey } from "../../src/keys/format.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

const captured: string[] = [];
const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
  vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
    captured.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  }),
);
afterAll(() => spies.forEach((s) => s.mockRestore()));

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

describe("keys in URLs", () => {
  it("refuses a key in the query string or the path, before any lookup, and tells the client why", async () => {
    const { admin } = await tenantWithAdmin(platform);
    for (const path of [
      `/v1/auth/me?api_key=${admin}`,
      `/v1/auth/me?key=${admin}`,
      `/v1/auth/me?access_token=whatever`,
      `/v1/keys/${admin}`,
      `/health?x=${encodeURIComponent(admin)}`,
    ]) {
      const res = await call(path, { key: admin });
      expect(res.status, path).toBe(400);
      const body = await json(res);
      expect(body.type).toBe("https://keygate.dev/problems/invalid-request");
      expect(body.detail).toMatch(/Authorization/);
      expect(JSON.stringify(body)).not.toContain(admin);
    }
  });
});

describe("no key material anywhere", () => {
  it("scans logs, responses, D1 and KV after normal and hostile traffic", async () => {
    const secrets: string[] = [platform];
    const { tenant, admin, adminId } = await tenantWithAdmin(platform);
    secrets.push(admin);
    const k = await createKey(admin, { permissionSet: "read_only" });
    secrets.push(k.key);
    const rolled = await json(await call(`/v1/keys/${k.id}/roll`, { key: admin, body: { gracePeriodSeconds: 60 } }));
    secrets.push(rolled.key);
    const unknown = generateKey("live");
    secrets.push(unknown);

    const bodies: string[] = [];
    const hostile: [string, Parameters<typeof call>[1]][] = [
      ["/v1/auth/me", { key: k.key }],
      ["/v1/auth/me", { key: unknown }],
      ["/v1/auth/me", { key: k.key.slice(0, -1) + "x" }],
      ["/v1/auth/me", { key: k.key, headers: { "X-API-Key": rolled.key } }],
      [`/v1/auth/me?api_key=${k.key}`, {}],
      [`/v1/keys/${k.key}`, { key: admin }],
      ["/v1/keys", { key: admin, body: { name: k.key, scopes: ["query"] } }],
      ["/v1/keys", { key: admin, body: { name: "x", scopes: ["query"], [k.key]: 1 } }],
      ["/v1/keys", { key: admin, body: `{"name": "${k.key}", ` }],
      [`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { description: `oops ${rolled.key}` } }],
      [`/v1/keys/${k.id}/revoke`, { key: admin, body: { reason: `leaked: ${k.key}` } }],
      ["/v1/tenants", { key: k.key, body: { name: k.key, slug: "x" } }],
      [`/v1/${encodeURIComponent(k.key).replace(/_/g, "%5F")}`, { key: admin }],
      [`/v1/keys/${k.key.replace(/e/g, "%65")}`, { key: admin }],
      ["/v1/auth/me", { key: admin, headers: { "X-Request-Id": k.key } }],
      [`/v1/keys/${k.id}`, { method: "PATCH", key: admin, body: { description: "audited" }, headers: { "X-Request-Id": rolled.key } }],
      ["/v1/audit", { key: admin }],
      ["/v1/keys", { key: admin }],
      [`/v1/keys/${adminId}`, { key: admin }],
      [`/v1/tenants/${tenant.id}`, { key: platform }],
    ];
    for (const [path, opts] of hostile) {
      const res = await call(path, opts);
      expect(res.status, path).toBeLessThan(500);
      bodies.push(`${res.status} ${[...res.headers].join(";")} ${await res.text()}`);
    }
    await new Promise((r) => setTimeout(r, 50)); // access-log lines are written after the response

    const tables = ["tenants", "api_keys", "key_secrets", "audit_log"];
    const rows: string[] = [];
    for (const t of tables) rows.push(JSON.stringify((await env.DB.prepare(`SELECT * FROM ${t}`).all()).results));
    const kv: string[] = [];
    for (const { name } of (await env.KEY_CACHE.list()).keys) kv.push(name, (await env.KEY_CACHE.get(name)) ?? "");

    expect(captured.length).toBeGreaterThan(hostile.length);
    for (const secret of secrets) {
      const body = secret.slice(8); // the random part: finds the key however it was quoted
      for (const [where, texts] of Object.entries({ logs: captured, responses: bodies, d1: rows, kv })) {
        expect(texts.filter((t) => t.includes(body)).map((t) => t.slice(0, 300)), `${where} contains a key`).toEqual([]);
      }
    }
  });
});

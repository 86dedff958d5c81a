// README "Analytics" promises at most 20 s from a request to its rollup rows, with nothing but the
// gateway's own timers and alarms doing the work: no flush helper here.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/admin.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

const LAG_MS = 20_000;

describe("analytics lag", () => {
  it("a key's requests and a keyless failure reach D1 within 20 s on their own", async () => {
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["query"] });
    const sent = Date.now();
    for (let i = 0; i < 4; i++) expect((await call("/v1/echo", { key: k.key })).status).toBe(200);
    const network = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
    expect((await call("/v1/echo", { headers: { "cf-connecting-ip": network } })).status).toBe(401);

    const keyed = await waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT sum(requests) AS n FROM analytics_minute WHERE key_id = ?").bind(k.id).first<{ n: number | null }>();
        return row?.n === 4 ? Date.now() - sent : null;
      },
      "the key's rows",
      LAG_MS,
    );
    const keyless = await waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT sum(requests) AS n FROM auth_failure_networks WHERE network = '192.0.2.0/24'").first<{ n: number | null }>();
        return (row?.n ?? 0) > 0 ? Date.now() - sent : null;
      },
      "the keyless rows",
      LAG_MS,
    );
    expect(Math.max(keyed, keyless)).toBeLessThanOrEqual(LAG_MS);
  }, 30_000);
});

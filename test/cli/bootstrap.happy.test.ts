import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn, whoami } from "../support/cli.ts";

afterAll(() => expectOnlyNewSecretsPrinted());

describe("keygate bootstrap", () => {
  it("creates a platform key in the local database by default and prints a working secret once", async () => {
    const r = await ok(["bootstrap", "--name", "first-platform-key"]);
    expect(r.sql).toEqual([{ remote: false, database: "keygate" }]);
    expect(r.fetches).toBe(0); // straight to D1: no gateway, no admin key needed
    const key = secretIn(r);
    expect(r.stdout.split(key)).toHaveLength(2); // printed exactly once
    expect(r.stdout).toMatch(/shown only this once/);
    expect(r.stdout).toContain("read -rs KEYGATE_ADMIN_KEY");

    const res = await whoami(key);
    expect(res.status).toBe(200);
    const me = (await res.json()) as any;
    expect(me.key).toMatchObject({ name: "first-platform-key", scopes: ["platform"] });
    expect(me.tenant.slug).toBe("platform");
    expect(r.stdout).toContain(me.key.id);

    // Only the hash is stored.
    const stored = await env.DB.prepare("SELECT hash, prefix, hint FROM key_secrets WHERE key_id = ?").bind(me.key.id).first<any>();
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  it("adds further platform keys to the same platform tenant; --json gives the key for scripts", async () => {
    const r = await ok(["bootstrap", "--json", "--local", "--database", "DB", "--persist-to", ".state"]);
    expect(r.sql).toEqual([{ remote: false, database: "DB", persistTo: ".state" }]);
    const out = parseJson(r);
    expect(out).toMatchObject({ key: expect.stringMatching(/^kg_live_/), keyId: expect.stringMatching(/^key_/), tenant: "platform", remote: false });
    expect(r.stderr).toBe("");
    expect((await whoami(out.key)).status).toBe(200);
    const tenants = await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE slug = 'platform'").first<{ n: number }>();
    expect(tenants!.n).toBe(1);
  });

  it("targets the remote database with --remote", async () => {
    const r = await ok(["bootstrap", "--remote"]);
    expect(r.sql).toEqual([{ remote: true, database: "keygate" }]);
  });

  it("exits 1 with the cause when the SQL fails, and prints no key", async () => {
    const r = await cli(["bootstrap"], undefined, {
      runSql: async () => {
        throw new Error("no such table: tenants");
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no such table: tenants");
    expect(r.stderr).toContain("npm run db:migrate:local");
    expect(r.stdout).toBe("");
  });

  it.each([
    [["bootstrap", "--local", "--remote"], "not both"],
    [["bootstrap", "--remote", "--persist-to", "x"], "--persist-to only applies to --local"],
    [["bootstrap", "--url", "https://gw.test"], "takes no --url"],
    [["bootstrap", "--slug", "x"], "does not take --slug"],
    [["bootstrap", "extra"], "unexpected argument 'extra'"],
    [["bootstrap", "--name"], "--name needs a value"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.sql).toEqual([]);
    expect(r.stdout).toBe("");
  });
});

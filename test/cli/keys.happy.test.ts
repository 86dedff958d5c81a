import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, expectWhoamiStatus, ok, parseJson, secretIn, whoami } from "../support/cli.ts";

let platform: string;
let tenantId: string;
beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme", "--plan", "pro"], platform)).id;
});
afterAll(() => expectOnlyNewSecretsPrinted());

const idIn = (text: string) => /\bkey_[0-9A-Za-z]+/.exec(text)![0];

describe("keygate keys", () => {
  it("create prints the secret once, with a warning and the key's details; the secret works", async () => {
    const r = await ok(
      ["keys", "create", "--tenant", tenantId, "--name", "reader", "--permission-set", "read_only", "--description", "dashboards"],
      platform,
    );
    const secret = secretIn(r);
    expect(r.stdout.split(secret)).toHaveLength(2);
    expect(r.stdout).toContain("Store this secret now");
    expect(r.stdout).toMatch(/^scopes:\s+jobs:read, query$/m);
    expect(r.stdout).toMatch(/^tenant:\s+ten_/m);
    expect(r.stdout).toMatch(/^status:\s+active$/m);
    expect(r.stdout).toMatch(/^description:\s+dashboards$/m);
    expect(r.stdout).toContain(`${secret.slice(0, 12)}…${secret.slice(-4)}`);
    const me = (await (await whoami(secret)).json()) as any;
    expect(me.key).toMatchObject({ id: idIn(r.stdout), tenantId, scopes: ["jobs:read", "query"] });
  });

  it("create --json returns the API's body, secret included, for scripts", async () => {
    const r = await ok(
      ["keys", "create", "--json", "--tenant", tenantId, "--name", "ingest", "--scopes", "jobs:write, jobs:read", "--environment", "test", "--expires-at", "2099-01-01T00:00:00Z"],
      platform,
    );
    const k = parseJson(r);
    expect(k).toMatchObject({ tenantId, name: "ingest", environment: "test", scopes: ["jobs:write", "jobs:read"], expiresAt: "2099-01-01T00:00:00.000Z" });
    expect(k.key).toMatch(/^kg_test_/);
    expect(secretIn(r)).toBe(k.key);
  });

  it("list shows a table without secrets, filtered by tenant and revoked state", async () => {
    const r = await ok(["keys", "list", "--tenant", tenantId], platform);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TENANT\s+ENV\s+SCOPES\s+SECRET\s+STATUS\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(["ingest", "reader"]);
    expect(lines[1]).toMatch(/ test {2}jobs:write,jobs:read {2}kg_test_\w{4}…\w{4} {2}active /);

    const json = parseJson(await ok(["keys", "list", "--json", "--tenant", tenantId, "--revoked", "false"], platform));
    expect(json.data.map((k: any) => k.name)).toEqual(["ingest", "reader"]);
    expect(json.data.every((k: any) => k.key === undefined)).toBe(true);
    expect(await ok(["keys", "list", "--tenant", tenantId, "--revoked", "true"], platform)).toMatchObject({ stdout: "No keys.\n" });

    // A platform key without --tenant sees every tenant, its own bootstrap key included.
    const all = await ok(["keys", "list"], platform);
    expect(all.stdout).toMatch(/ platform {2}/);
  });

  it("show prints one key as a block, and --json its record; never the secret", async () => {
    const created = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "shown", "--scopes", "query"], platform));
    const r = await ok(["keys", "show", created.id], platform);
    expect(r.stdout).toMatch(new RegExp(`^id:\\s+${created.id}$`, "m"));
    expect(r.stdout).toMatch(/^name:\s+shown$/m);
    expect(r.stdout).toMatch(/^last used:\s+never$/m);
    expect(r.stdout).not.toMatch(/revoked/);
    const j = parseJson(await ok(["keys", "show", "--json", created.id], platform));
    expect(j).toMatchObject({ id: created.id, name: "shown", start: created.start, hint: created.hint });
    expect(j.key).toBeUndefined();
  });

  it("revoke revokes, with a reason; the key stops working; a second revoke is an API error", async () => {
    const created = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "doomed", "--scopes", "query"], platform));
    const r = await ok(["keys", "revoke", created.id, "--reason", "leaked in a log"], platform);
    expect(r.stdout).toContain(`Revoked key ${created.id} (doomed).`);
    expect(r.stdout).toMatch(/^status:\s+revoked$/m);
    expect(r.stdout).toMatch(/^revoke reason:\s+leaked in a log$/m);
    await expectWhoamiStatus(created.key, 401);

    const again = await cli(["keys", "revoke", "--json", created.id], platform);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("409 Key is revoked");
    expect(parseJson(again)).toMatchObject({ status: 409 });

    const j = parseJson(await ok(["keys", "list", "--json", "--tenant", tenantId, "--revoked", "true"], platform));
    expect(j.data).toEqual([expect.objectContaining({ id: created.id, revokeReason: "leaked in a log" })]);

    const viaJson = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "doomed2", "--scopes", "query"], platform));
    const revoked = parseJson(await ok(["keys", "revoke", viaJson.id, "--json"], platform));
    expect(revoked).toMatchObject({ id: viaJson.id, revokeReason: null, revokedAt: expect.any(String) });
  });

  it("roll prints the new secret once; the old one lasts the grace period", async () => {
    const created = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "rolled", "--scopes", "query"], platform));
    const r = await ok(["keys", "roll", created.id, "--grace-seconds", "3600"], platform);
    const fresh = secretIn(r);
    expect(fresh).not.toBe(created.key);
    expect(r.stdout).toContain(`Rolled key ${created.id} (rolled)`);
    expect(r.stdout).toMatch(/The previous secret keeps working until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\./);
    await expectWhoamiStatus(fresh, 200);
    await expectWhoamiStatus(created.key, 200);

    const j = parseJson(await ok(["keys", "roll", "--json", created.id, "--grace-seconds", "0"], platform));
    expect(j).toMatchObject({ id: created.id, key: expect.stringMatching(/^kg_live_/), previousSecretExpiresAt: expect.any(String) });
    await expectWhoamiStatus(j.key, 200);
    await expectWhoamiStatus(fresh, 401);
    await expectWhoamiStatus(created.key, 401);
  });

  it("a tenant admin key manages its own tenant's keys without --tenant", async () => {
    const admin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "tenant-admin", "--permission-set", "full_access"], platform));
    const mine = parseJson(await ok(["keys", "create", "--json", "--name", "own", "--scopes", "jobs:read"], admin));
    expect(mine.tenantId).toBe(tenantId);
    // Granting platform is refused by the API: exit 1 with its detail.
    const r = await cli(["keys", "create", "--name", "escalate", "--scopes", "platform"], admin);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("403 Insufficient scope: Only a platform key may grant 'platform'");
  });

  it("API errors exit 1 with title, detail and request id", async () => {
    const r = await cli(["keys", "show", "key_0000000000000000"], platform);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("404 Not found: No such key.");
    expect(r.stderr).toMatch(/request id: \S+/);

    const dup = await cli(["keys", "create", "--tenant", tenantId, "--name", "reader", "--scopes", "query"], platform);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("409 Key name already in use: A key named 'reader' already exists in this tenant.");

    const past = await cli(["keys", "create", "--tenant", tenantId, "--name", "past", "--scopes", "query", "--expires-at", "2001-01-01T00:00:00Z"], platform);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^ {2}expiresAt: must be in the future$/m);

    const badGrace = await cli(["keys", "roll", "key_0000000000000000", "--grace-seconds", "99999999"], platform);
    expect(badGrace.code).toBe(1);
    expect(badGrace.stderr).toContain("422 Validation failed");
  });

  it.each([
    [["keys", "create", "--name", "x"], "give exactly one of --scopes or --permission-set"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--permission-set", "read_only"], "give exactly one of --scopes or --permission-set"],
    [["keys", "create", "--scopes", "query"], "missing --name"],
    [["keys", "create", "--name", "x", "--scopes", " , "], "--scopes needs at least one scope"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--environment", "prod"], "--environment must be one of live, test"],
    [["keys", "list", "--revoked", "yes"], "--revoked must be one of true, false"],
    [["keys", "show"], "missing ID"],
    [["keys", "show", "ten_0000000000000000"], "is not a key id"],
    [["keys", "show", "key_0000000000000000", "key_1111111111111111"], "unexpected argument 'key_1111111111111111'"],
    [["keys", "revoke"], "missing ID"],
    [["keys", "revoke", "key_0000000000000000", "--reason", ""], "--reason must not be empty"],
    [["keys", "roll", "key_0000000000000000", "--grace-seconds", "1h"], "--grace-seconds must be a whole number"],
    [["keys", "roll", "key_0000000000000000", "--reason", "x"], "'keys roll' does not take --reason"],
    [["keys", "delete", "key_0000000000000000"], "unknown command 'keys delete'"],
    [["keys", "list", "--tenant"], "--tenant needs a value"],
    [["keys", "list", "--json", "--json"], "--json given more than once"],
    [["keys", "list", "--json=yes"], "--json takes no value"],
    [["keys", "list", "--url", "ftp://gw.test"], "--url must be an http(s) URL"],
    [["keys", "list", "--url", "not a url"], "--url is not a URL"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/Run 'keygate .*--help' for usage\./);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });
});

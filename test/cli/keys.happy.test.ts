import { env } from "cloudflare:test";
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
    expect(r.stderr).toContain("403 Insufficient scope: Only a platform key or a platform-wide owner may grant 'platform'");
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
    [["keys", "remove", "key_0000000000000000"], "unknown command 'keys remove'"],
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

/** A fresh key in the test tenant, through the CLI: its JSON (with the secret). */
async function newKey(name: string, ...extra: string[]): Promise<any> {
  return parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", name, "--scopes", "query", ...extra], platform));
}

const DAY = 86_400_000;

describe("keygate keys update / enable / disable / extend / delete", () => {
  it("update changes only what is given; '' , 'default' and 'never' clear", async () => {
    const k = await newKey("to-update");
    const r = await ok(
      [
        "keys", "update", k.id,
        "--name", "updated", "--description", "nightly export", "--scopes", "query, jobs:read",
        "--rate-limit", "5/s, burst 10", "--monthly-quota", "1000", "--expires-at", "30d",
      ],
      platform,
    );
    expect(r.stdout).toMatch(new RegExp(`^Updated key ${k.id} \\(updated\\)\\.$`, "m"));
    expect(r.stdout).toMatch(/^description:\s+nightly export$/m);
    expect(r.stdout).toMatch(/^scopes:\s+query, jobs:read$/m);
    expect(r.stdout).toMatch(/^rate limit:\s+5\/s, burst 10$/m);
    expect(r.stdout).toMatch(/^monthly quota:\s+1000$/m);
    const expires = /^expires:\s+(\S+)$/m.exec(r.stdout)![1]!;
    expect(Math.abs(Date.parse(expires) - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
    await expectWhoamiStatus(k.key, 200); // the secret is unchanged

    const j = parseJson(await ok(["keys", "update", "--json", k.id, "--expires-at", "2099-06-30"], platform));
    expect(j).toMatchObject({ name: "updated", expiresAt: "2099-06-30T00:00:00.000Z", monthlyQuota: 1000 });

    const cleared = await ok(["keys", "update", k.id, "--description", "", "--rate-limit", "default", "--monthly-quota", "default", "--expires-at", "never"], platform);
    expect(cleared.stdout).not.toMatch(/^description:/m);
    expect(cleared.stdout).toMatch(/^rate limit:\s+tenant's plan$/m);
    expect(cleared.stdout).toMatch(/^monthly quota:\s+tenant's plan$/m);
    expect(cleared.stdout).toMatch(/^expires:\s+never$/m);
  });

  it("disable refuses the key until enable; both print the key", async () => {
    const k = await newKey("toggled");
    const off = await ok(["keys", "disable", k.id], platform);
    expect(off.stdout).toContain(`Disabled key ${k.id} (toggled). It is refused until 'keygate keys enable ${k.id}'.`);
    expect(off.stdout).toMatch(/^status:\s+disabled$/m);
    await expectWhoamiStatus(k.key, 401);
    const on = await ok(["keys", "enable", k.id], platform);
    expect(on.stdout).toMatch(/^Enabled key key_\w+ \(toggled\)\.$/m);
    expect(on.stdout).toMatch(/^status:\s+active$/m);
    await expectWhoamiStatus(k.key, 200);
    expect(parseJson(await ok(["keys", "disable", "--json", k.id], platform))).toMatchObject({ id: k.id, enabled: false });
  });

  it("extend moves an expiry later, from an ISO time, a day or a duration", async () => {
    const k = await newKey("extended", "--expires-at", "2099-01-01T00:00:00Z");
    const r = await ok(["keys", "extend", k.id, "--expires", "2100-01-01"], platform);
    expect(r.stdout).toContain(`Extended key ${k.id} (extended): it expires at 2100-01-01T00:00:00Z (was 2099-01-01T00:00:00Z).`);
    expect(r.stdout).toMatch(/^expires:\s+2100-01-01T00:00:00Z$/m);
    const j = parseJson(await ok(["keys", "extend", "--json", k.id, "--expires", "2100-01-01T12:30:00+02:00"], platform));
    expect(j.expiresAt).toBe("2100-01-01T10:30:00.000Z");

    const soon = await newKey("soon", "--expires-at", new Date(Date.now() + 3_600_000).toISOString());
    const later = await ok(["keys", "extend", soon.id, "--expires", "2w"], platform);
    const expires = /^expires:\s+(\S+)$/m.exec(later.stdout)![1]!;
    expect(Math.abs(Date.parse(expires) - (Date.now() + 14 * DAY))).toBeLessThan(60_000);
  });

  it("extend brings an expired key back", async () => {
    const k = await newKey("lapsed", "--expires-at", "2099-01-01T00:00:00Z");
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, k.id).run();
    await expectWhoamiStatus(k.key, 401);
    expect((await ok(["keys", "show", k.id], platform)).stdout).toMatch(/^status:\s+expired$/m);
    const r = await ok(["keys", "extend", k.id, "--expires", "7d"], platform);
    expect(r.stdout).toMatch(/^status:\s+active$/m);
    await expectWhoamiStatus(k.key, 200);
  });

  it("extend refuses to shorten or to add an expiry (exit 2), and changes nothing", async () => {
    const k = await newKey("long-lived", "--expires-at", "2099-01-01T00:00:00Z");
    const earlier = await cli(["keys", "extend", k.id, "--expires", "30d"], platform);
    expect(earlier.code).toBe(2);
    expect(earlier.stderr).toContain(`key ${k.id} already expires at 2099-01-01T00:00:00Z, not before `);
    expect(earlier.stderr).toContain(`keygate keys update ${k.id} --expires-at 30d`);
    const never = await newKey("forever");
    const added = await cli(["keys", "extend", never.id, "--expires", "2099-01-01"], platform);
    expect(added.code).toBe(2);
    expect(added.stderr).toContain(`key ${never.id} never expires, so an expiry would shorten its life`);
    expect(parseJson(await ok(["keys", "show", "--json", k.id], platform)).expiresAt).toBe("2099-01-01T00:00:00.000Z");
    expect(parseJson(await ok(["keys", "show", "--json", never.id], platform)).expiresAt).toBeNull();
  });

  it("API errors exit 1: no such key (404), a revoked key (409), a bad value (422)", async () => {
    for (const argv of [
      ["keys", "update", "key_0000000000000000", "--name", "x"],
      ["keys", "enable", "key_0000000000000000"],
      ["keys", "disable", "key_0000000000000000"],
      ["keys", "extend", "key_0000000000000000", "--expires", "30d"],
      ["keys", "delete", "key_0000000000000000", "--yes"],
    ]) {
      const r = await cli(argv, platform);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.stderr).toContain("404 Not found: No such key.");
      expect(r.stderr).toMatch(/request id: \S+/);
    }
    const gone = await newKey("revoked-first");
    await ok(["keys", "revoke", gone.id], platform);
    for (const argv of [["keys", "enable", gone.id], ["keys", "extend", gone.id, "--expires", "30d"], ["keys", "update", gone.id, "--name", "x"]]) {
      const r = await cli(argv, platform);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.stderr).toContain("409 Key is revoked");
    }
    const k = await newKey("validated");
    const bad = await cli(["keys", "update", k.id, "--scopes", "query,root", "--expires-at", "2001-01-01"], platform);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("422 Validation failed");
    expect(bad.stderr).toMatch(/^ {2}expiresAt: must be in the future$/m);
    const dup = await cli(["keys", "update", k.id, "--name", "reader"], platform);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("409 Key name already in use");
  });

  it("delete needs --yes, then leaves a tombstone: no secret, no access, listed with --deleted true", async () => {
    const k = await newKey("deleted");
    const unsure = await cli(["keys", "delete", k.id], platform);
    expect(unsure.code).toBe(2);
    expect(unsure.stderr).toContain(`deleting key ${k.id} revokes it and erases its secrets, and cannot be undone; add --yes to go ahead`);
    expect(unsure.fetches).toBe(0);
    await expectWhoamiStatus(k.key, 200);

    const r = await ok(["keys", "delete", k.id, "--yes"], platform);
    expect(r.stdout).toContain(`Deleted key ${k.id} (deleted): it no longer works and its secrets are erased. This cannot be undone.`);
    expect(r.stdout).toMatch(/^status:\s+deleted$/m);
    expect(r.stdout).toMatch(/^secret:\s+erased$/m);
    expect(r.stdout).toMatch(/^deleted:\s+\d{4}-\d\d-\d\dT[\d:]+Z by key_\w+$/m);
    await expectWhoamiStatus(k.key, 401);

    const again = await cli(["keys", "delete", "--json", k.id, "--yes"], platform);
    expect(again.code).toBe(1);
    expect(parseJson(again)).toMatchObject({ status: 409 });

    expect((await ok(["keys", "show", k.id], platform)).stdout).toMatch(/^status:\s+deleted$/m);
    const listed = await ok(["keys", "list", "--tenant", tenantId, "--deleted", "true"], platform);
    expect(listed.stdout).toMatch(new RegExp(`^${k.id}\\s+deleted\\s+.*\\s{2}-\\s+deleted\\s{2}`, "m"));
    expect((await ok(["keys", "list", "--tenant", tenantId], platform)).stdout).not.toContain(k.id);

    const j = parseJson(await ok(["keys", "delete", "--json", "--yes", (await newKey("deleted-json")).id], platform));
    expect(j).toMatchObject({ start: null, hint: null, deletedAt: expect.any(String), revokedAt: expect.any(String) });
  });

  it("a tenant admin cannot change keys of another tenant: 404, as if they did not exist", async () => {
    const other = parseJson(await ok(["tenants", "create", "--json", "--name", "Other", "--slug", "other"], platform)).id;
    const theirs = parseJson(await ok(["keys", "create", "--json", "--tenant", other, "--name", "theirs", "--scopes", "query"], platform));
    const admin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "nosy-admin", "--permission-set", "full_access"], platform));
    for (const argv of [["keys", "disable", theirs.id], ["keys", "delete", theirs.id, "--yes"], ["keys", "update", theirs.id, "--name", "mine"]]) {
      const r = await cli(argv, admin);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("404 Not found");
    }
    await expectWhoamiStatus(theirs.key, 200);
  });

  it.each([
    [["keys", "update", "key_0000000000000000"], "nothing to update: give at least one of --name, --description, --scopes"],
    [["keys", "update", "key_0000000000000000", "--name", ""], "--name must not be empty"],
    [["keys", "update", "key_0000000000000000", "--scopes", ","], "--scopes needs at least one scope"],
    [["keys", "update", "key_0000000000000000", "--rate-limit", "5 per second"], "--rate-limit must look like '10/s, burst 20'"],
    [["keys", "update", "key_0000000000000000", "--monthly-quota", "lots"], "--monthly-quota must be a whole number"],
    [["keys", "update", "key_0000000000000000", "--expires-at", "tomorrow"], "--expires-at must be an ISO time with its zone"],
    [["keys", "update", "key_0000000000000000", "--expires-at", "2027-01-01T00:00:00"], "--expires-at must be an ISO time with its zone"],
    [["keys", "update", "key_0000000000000000", "--enabled", "false"], "'keys update' does not take --enabled"],
    [["keys", "enable"], "missing ID"],
    [["keys", "disable", "ten_0000000000000000"], "is not a key id"],
    [["keys", "extend", "key_0000000000000000"], "missing --expires"],
    [["keys", "extend", "key_0000000000000000", "--expires", "never"], "--expires must be an ISO time with its zone"],
    [["keys", "extend", "key_0000000000000000", "--expires", "0d"], "--expires duration must be more than zero"],
    [["keys", "extend", "key_0000000000000000", "--expires", "2027-02-30"], "--expires must be"],
    [["keys", "extend", "key_0000000000000000", "--expires-at", "30d"], "'keys extend' does not take --expires-at"],
    [["keys", "delete", "key_0000000000000000"], "add --yes to go ahead"],
    [["keys", "delete", "key_0000000000000000", "--yes=true"], "--yes takes no value"],
    [["keys", "list", "--deleted", "maybe"], "--deleted must be one of true, false"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });
});

describe("keygate permission-sets", () => {
  it("lists the presets with their scopes; --json the API's body", async () => {
    const r = await ok(["permission-sets"], platform);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SCOPES\s+DESCRIPTION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["read_only", "ingest_pipeline", "origin_reporter", "full_access"]);
    expect(r.stdout).toMatch(/^read_only\s+jobs:read,query\s+\S/m);
    const j = parseJson(await ok(["permission-sets", "--json"], platform));
    expect(j.data).toContainEqual(expect.objectContaining({ name: "full_access", scopes: expect.any(Array) }));
  });

  it("needs an admin key: 403 for one without the admin scope", async () => {
    const reader = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "plain-reader", "--permission-set", "read_only"], platform));
    const r = await cli(["permission-sets"], reader);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("403 Insufficient scope");
  });

  it("takes no arguments", async () => {
    const r = await cli(["permission-sets", "full_access"], platform);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unexpected argument 'full_access'");
  });
});

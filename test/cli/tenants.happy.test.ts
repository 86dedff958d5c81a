import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, expectWhoamiStatus, ok, parseJson, secretIn } from "../support/cli.ts";

let platform: string;
beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
});
afterAll(() => expectOnlyNewSecretsPrinted());

describe("keygate tenants", () => {
  it("creates a tenant and shows it as a key: value block", async () => {
    const r = await ok(["tenants", "create", "--name", "Acme Corp", "--slug", "acme", "--plan", "pro"], platform);
    expect(r.stdout).toMatch(/^Created tenant ten_\w+ \(acme\)\./);
    expect(r.stdout).toMatch(/^name:\s+Acme Corp$/m);
    expect(r.stdout).toMatch(/^plan:\s+pro$/m);
    expect(r.stdout).toMatch(/^rate limit:\s+100\/s, burst 200 per key$/m);
    expect(r.stdout).toMatch(/^tenant rate limit:\s+\d+\/s, burst \d+, all keys together$/m);
    expect(r.stdout).toMatch(/^max keys:\s+50$/m);
    // Values line up in one column.
    const block = r.stdout.trimEnd().split("\n").slice(2);
    expect(new Set(block.map((l) => /^[a-z ]+:\s+/.exec(l)![0].length)).size).toBe(1);
    expect(r.stderr).toBe("");
  });

  it("--json prints the API's response as is", async () => {
    const r = await ok(["--json", "tenants", "create", "--name", "Beta", "--slug", "beta"], platform);
    const t = parseJson(r);
    expect(t).toMatchObject({ id: expect.stringMatching(/^ten_/), name: "Beta", slug: "beta", plan: "free", active: true });
  });

  it("lists tenants as an aligned table, newest first", async () => {
    const r = await ok(["tenants", "list"], platform);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+SLUG\s+NAME\s+PLAN\s+ACTIVE\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(["beta", "acme", "platform"]);
    // Columns line up: every row has SLUG at the header's offset.
    const col = lines[0]!.indexOf("SLUG");
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^[a-z]/);
  });

  it("pages with --limit and --cursor, the next command on stderr", async () => {
    const first = await ok(["tenants", "list", "--limit", "2"], platform);
    expect(first.stdout.trimEnd().split("\n")).toHaveLength(3);
    const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toMatch(/^ten_/);
    const second = await ok(["tenants", "list", "--limit", "2", "--cursor", cursor!], platform);
    expect(second.stdout).toContain("platform");
    expect(second.stderr).toBe("");
    const json = parseJson(await ok(["tenants", "list", "--json", "--limit=1"], platform));
    expect(json.data).toHaveLength(1);
    expect(json.nextCursor).toMatch(/^ten_/);
  });

  it("API errors exit 1 with the problem's title, detail and request id", async () => {
    const r = await cli(["tenants", "create", "--name", "Again", "--slug", "acme"], platform);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("409 Tenant slug already in use: The slug 'acme' is taken.");
    expect(r.stderr).toMatch(/request id: [\w-]{8,}/);
    expect(r.stderr).toContain("https://keygate.dev/problems/slug-taken");
  });

  it("validation errors list each failing field", async () => {
    const r = await cli(["tenants", "create", "--name", "Bad", "--slug", "Not A Slug"], platform);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("422 Validation failed");
    expect(r.stderr).toMatch(/^ {2}slug: lowercase letters/m);
  });

  it("--json also puts the problem JSON on stdout", async () => {
    const r = await cli(["tenants", "create", "--json", "--name", "Again", "--slug", "acme"], platform);
    expect(r.code).toBe(1);
    expect(parseJson(r)).toMatchObject({ status: 409, type: "https://keygate.dev/problems/slug-taken" });
  });

  it("a tenant admin key is refused tenant management (exit 1, 403)", async () => {
    const t = parseJson(await ok(["tenants", "create", "--json", "--name", "Gamma", "--slug", "gamma"], platform));
    const admin = secretIn(await ok(["keys", "create", "--tenant", t.id, "--name", "admin", "--permission-set", "full_access"], platform));
    const r = await cli(["tenants", "list"], admin);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("403 Insufficient scope");
  });

  it.each([
    [["tenants", "create", "--slug", "x"], "missing --name"],
    [["tenants", "create", "--name", "X"], "missing --slug"],
    [["tenants", "create", "--name", "X", "--slug", "x", "--plan", "gold"], "--plan must be one of free, pro, enterprise"],
    [["tenants", "delete"], "unknown command 'tenants delete'"],
    [["tenants", "list", "--revoked", "true"], "'tenants list' does not take --revoked"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.fetches).toBe(0);
  });
});

describe("keygate tenants show / update", () => {
  let id: string;
  beforeAll(async () => {
    id = parseJson(await ok(["tenants", "create", "--json", "--name", "Delta", "--slug", "delta"], platform)).id;
  });

  it("show prints one tenant as a block, --json its record", async () => {
    const r = await ok(["tenants", "show", id], platform);
    expect(r.stdout).toMatch(new RegExp(`^id:\\s+${id}$`, "m"));
    expect(r.stdout).toMatch(/^slug:\s+delta$/m);
    expect(r.stdout).toMatch(/^plan:\s+free$/m);
    expect(r.stdout).toMatch(/^active:\s+yes$/m);
    expect(r.stdout).toMatch(/^email:\s+-$/m);
    expect(r.stdout).toMatch(/^max keys:\s+5$/m);
    expect(r.stderr).toBe("");
    const j = parseJson(await ok(["tenants", "show", "--json", id], platform));
    expect(j).toMatchObject({ id, slug: "delta", plan: "free", active: true, email: null, description: null });
  });

  it("update changes only what is given, and 'default' or '' clears an override", async () => {
    const r = await ok(
      [
        "tenants", "update", id,
        "--name", "Delta Inc", "--plan", "pro",
        "--rate-limit", "50/s, burst 80", "--monthly-quota", "5000", "--max-keys", "7",
        "--email", "ops@delta.example", "--description", "Our first customer",
      ],
      platform,
    );
    expect(r.stdout).toMatch(new RegExp(`^Updated tenant ${id} \\(delta\\)\\.$`, "m"));
    expect(r.stdout).toMatch(/^name:\s+Delta Inc$/m);
    expect(r.stdout).toMatch(/^plan:\s+pro$/m);
    expect(r.stdout).toMatch(/^rate limit:\s+50\/s, burst 80 \(override\)/m);
    expect(r.stdout).toMatch(/^monthly quota:\s+5000 \(override\)$/m);
    expect(r.stdout).toMatch(/^max keys:\s+7 \(override\)$/m);
    expect(r.stdout).toMatch(/^email:\s+ops@delta\.example$/m);
    expect(r.stdout).toMatch(/^description:\s+Our first customer$/m);

    // The form `show` prints is accepted back; only the given field changes.
    const tight = parseJson(await ok(["tenants", "update", "--json", id, "--rate-limit", "2.5/s,5"], platform));
    expect(tight.overrides.rateLimit).toMatchObject({ capacity: 5, refillPerSecond: 2.5 });
    expect(tight).toMatchObject({ name: "Delta Inc", email: "ops@delta.example", overrides: { maxKeys: 7 } });

    const cleared = await ok(
      ["tenants", "update", id, "--rate-limit", "default", "--monthly-quota", "default", "--max-keys", "default", "--email", "", "--description", ""],
      platform,
    );
    expect(cleared.stdout).toMatch(/^rate limit:\s+100\/s, burst 200(?! \(override\))/m);
    expect(cleared.stdout).toMatch(/^max keys:\s+50$/m);
    expect(cleared.stdout).toMatch(/^email:\s+-$/m);
    const j = parseJson(await ok(["tenants", "show", "--json", id], platform));
    expect(j).toMatchObject({ name: "Delta Inc", plan: "pro", email: null, description: null });
    expect(j.overrides).toMatchObject({ rateLimit: null, monthlyQuota: null, maxKeys: null });
  });

  it("update --tenant-rate-limit sets the bucket the tenant's keys share", async () => {
    const j = parseJson(await ok(["tenants", "update", "--json", id, "--tenant-rate-limit", "300/s, burst 600"], platform));
    expect(j.overrides.tenantRateLimit).toMatchObject({ capacity: 600, refillPerSecond: 300 });
    const r = await ok(["tenants", "show", id], platform);
    expect(r.stdout).toMatch(/^tenant rate limit:\s+300\/s, burst 600 \(override\), all keys together$/m);
    await ok(["tenants", "update", id, "--tenant-rate-limit", "default"], platform);
  });

  it("--inactive refuses the tenant's keys, --active lets them back", async () => {
    const key = secretIn(await ok(["keys", "create", "--tenant", id, "--name", "worker", "--scopes", "query"], platform));
    await expectWhoamiStatus(key, 200);
    const off = await ok(["tenants", "update", id, "--inactive"], platform);
    expect(off.stdout).toMatch(/^active:\s+no$/m);
    expect(off.stdout).toContain(`Its keys are refused until it is active again: keygate tenants update ${id} --active`);
    await expectWhoamiStatus(key, 403);
    const on = await ok(["tenants", "update", id, "--active"], platform);
    expect(on.stdout).toMatch(/^active:\s+yes$/m);
    await expectWhoamiStatus(key, 200);
  });

  it("API errors exit 1: no such tenant (404), a bad value (422), deactivating its own tenant (409)", async () => {
    const missing = await cli(["tenants", "show", "ten_0000000000000000"], platform);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("404 Not found: No such tenant.");
    expect(missing.stderr).toMatch(/request id: \S+/);
    expect((await cli(["tenants", "update", "ten_0000000000000000", "--plan", "pro"], platform)).stderr).toContain("404 Not found");

    const bad = await cli(["tenants", "update", id, "--email", "not-an-address", "--rate-limit", "0/s, burst 0"], platform);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("422 Validation failed");
    expect(bad.stderr).toMatch(/^ {2}email: must be an email address$/m);
    expect(bad.stderr).toMatch(/^ {2}rateLimit\.capacity: /m);

    const own = parseJson(await ok(["tenants", "list", "--json"], platform)).data.find((t: any) => t.slug === "platform");
    const self = await cli(["tenants", "update", "--json", own.id, "--inactive"], platform);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain("409 ");
    expect(parseJson(self)).toMatchObject({ status: 409 });
  });

  it("a tenant admin key may not show or update tenants (403)", async () => {
    const admin = secretIn(await ok(["keys", "create", "--tenant", id, "--name", "delta-admin", "--permission-set", "full_access"], platform));
    for (const argv of [["tenants", "show", id], ["tenants", "update", id, "--name", "Mine now"]]) {
      const r = await cli(argv, admin);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("403 Insufficient scope");
    }
  });

  it.each([
    [["tenants", "show"], "missing ID"],
    [["tenants", "show", "key_0000000000000000"], "'key_0000000000000000' is not a tenant id (ten_…)"],
    [["tenants", "update", "ten_0000000000000000"], "nothing to update: give at least one of --name, --plan, --active, --inactive"],
    [["tenants", "update", "ten_0000000000000000", "--active", "--inactive"], "give --active or --inactive, not both"],
    [["tenants", "update", "ten_0000000000000000", "--name", " "], "--name must not be empty"],
    [["tenants", "update", "ten_0000000000000000", "--plan", "gold"], "--plan must be one of free, pro, enterprise"],
    [["tenants", "update", "ten_0000000000000000", "--rate-limit", "fast"], "--rate-limit must look like '10/s, burst 20'"],
    [["tenants", "update", "ten_0000000000000000", "--tenant-rate-limit", "10/s"], "--tenant-rate-limit must look like"],
    [["tenants", "update", "ten_0000000000000000", "--max-keys", "0"], "--max-keys must be a whole number of at least 1, or 'default'"],
    [["tenants", "update", "ten_0000000000000000", "--monthly-quota", "-5"], "--monthly-quota must be a whole number"],
    [["tenants", "update", "ten_0000000000000000", "--active=yes"], "--active takes no value"],
    [["tenants", "update", "ten_0000000000000000", "--slug", "x"], "'tenants update' does not take --slug"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });
});

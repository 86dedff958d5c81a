import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";

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
    expect(r.stdout).toMatch(/^rate limit:\s+100\/s, burst 200$/m);
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

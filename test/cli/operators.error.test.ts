// keygate operators, what goes wrong: bad flags are usage errors (exit 2) before anything is sent;
// what only the API knows (a taken email, an unknown id, a caller without the right) is exit 1
// with the problem on stderr, and with --json the problem JSON on stdout too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";
import { platformKey } from "../support/gateway.ts";

let platform: string;
let tenantAdmin: string;
beforeAll(async () => {
  platform = await platformKey();
  const tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme-ops-err"], platform)).id;
  tenantAdmin = secretIn(await ok(["keys", "create", "--tenant", tenantId, "--name", "acme-admin", "--permission-set", "full_access"], platform));
});
afterAll(() => expectOnlyNewSecretsPrinted());

describe("keygate operators: usage errors, nothing sent", () => {
  const OPR = "opr_0000000000000000";
  it.each([
    [["operators", "add", "--role", "owner"], "missing --email"],
    [["operators", "add", "--email", "a@example.com"], "missing --role (owner, admin, viewer)"],
    [["operators", "add", "--email", "alice", "--role", "owner"], "--email must be an email address (name@example.com); got 'alice'"],
    [["operators", "add", "--email", "a b@example.com", "--role", "owner"], "--email must be an email address"],
    [["operators", "add", "--email", "a@@example.com", "--role", "owner"], "--email must be an email address"],
    [["operators", "add", "--email", "a@localhost", "--role", "owner"], "--email must be an email address"],
    [["operators", "add", "--email", "a@example.com\u001b[2J", "--role", "owner"], "--email must be an email address"],
    [["operators", "add", "--email", "", "--role", "owner"], "--email must be an email address"],
    [["operators", "add", "--email", "a@example.com", "--role", "superuser"], "--role must be one of owner, admin, viewer; got 'superuser'"],
    [["operators", "add", "--email", "a@example.com", "--role", "Owner"], "--role must be one of owner, admin, viewer"],
    [["operators", "add", "--email", "a@example.com", "--role", "owner", "--tenant", "acme"], "--tenant takes a tenant id (ten_…)"],
    [["operators", "add", "--email", "a@example.com", "--role", "owner", "--name", "Alice"], "'operators add' does not take --name"],
    [["operators", "add", "--email", "a@example.com", "--email", "b@example.com", "--role", "owner"], "--email given more than once"],
    [["operators", "add", "--email", "a@example.com", "--role"], "--role needs a value"],
    [["operators", "list", "--tenant", "acme"], "--tenant takes a tenant id (ten_…)"],
    [["operators", "list", "--role", "owner"], "'operators list' does not take --role"],
    [["operators", "show"], "missing ID"],
    [["operators", "show", "key_0000000000000000"], "is not an operator id (opr_…)"],
    [["operators", "show", "owner@example.com"], "is not an operator id (opr_…)"],
    [["operators", "show", OPR, "extra"], "unexpected argument 'extra'"],
    [["operators", "update", OPR], "missing --role (owner, admin, viewer)"],
    [["operators", "update", OPR, "--role", "root"], "--role must be one of owner, admin, viewer"],
    [["operators", "update", OPR, "--email", "a@example.com"], "'operators update' does not take --email"],
    [["operators", "update", "ten_0000000000000000", "--role", "admin"], "is not an operator id (opr_…)"],
    [["operators", "remove"], "missing ID"],
    [["operators", "remove", "opr_x"], "is not an operator id (opr_…)"],
    [["operators", "delete", OPR], "unknown command 'operators delete'"],
  ])("keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/^Run 'keygate (operators( \w+)? )?--help' for usage\.$/m);
    expect(r.stdout).toBe("");
    expect(r.fetches).toBe(0);
  });

  it("without KEYGATE_ADMIN_KEY: says how to set it (the platform key for the first owner), exit 2", async () => {
    const r = await cli(["operators", "add", "--email", "a@example.com", "--role", "owner"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("KEYGATE_ADMIN_KEY is not set");
    expect(r.fetches).toBe(0);
  });

  it("a key pasted as an argument is refused and not echoed", async () => {
    const r = await cli(["operators", "add", "--email", platform, "--role", "owner"], platform);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("looks like an API key secret");
    expect(r.stderr).not.toContain(platform);
    expect(r.fetches).toBe(0);
  });
});

describe("keygate operators: the API's refusals, exit 1", () => {
  it("the same email twice: 409, also with another case", async () => {
    await ok(["operators", "add", "--email", "dup@example.com", "--role", "viewer"], platform);
    const r = await cli(["operators", "add", "--email", "DUP@example.com", "--role", "admin"], platform);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keygate: 409 .*: An operator with this e-mail address exists\.$/m);
    expect(r.stdout).toBe("");
  });

  it("--json: the problem JSON on stdout, the summary on stderr", async () => {
    const r = await cli(["operators", "show", "--json", "opr_0000000000000000"], platform);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 404, detail: "No such operator." });
    expect(r.stderr).toMatch(/^keygate: 404 /);
  });

  it("unknown ids: update and remove are 404", async () => {
    for (const argv of [
      ["operators", "update", "opr_0000000000000000", "--role", "admin"],
      ["operators", "remove", "opr_0000000000000000"],
    ]) {
      const r = await cli(argv, platform);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^keygate: 404 .*: No such operator\.$/m);
    }
  });

  it("a tenant's admin key may not add operators (platform scope): 403", async () => {
    const r = await cli(["operators", "add", "--email", "sneaky@example.com", "--role", "owner"], tenantAdmin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keygate: 403 .*'platform' scope/m);
    const list = parseJson(await ok(["operators", "list", "--json"], platform));
    expect(list.data.map((o: { email: string }) => o.email)).not.toContain("sneaky@example.com");
  });
});

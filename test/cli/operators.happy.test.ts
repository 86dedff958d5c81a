// keygate operators against the Worker: the first owner is added with the platform key; list,
// show, update and remove read and change operators through /v1/operators; --json is the API's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson } from "../support/cli.ts";
import { platformKey } from "../support/gateway.ts";

let platform: string;
let tenantId: string;
beforeAll(async () => {
  platform = await platformKey();
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme-ops"], platform)).id;
});
afterAll(() => expectOnlyNewSecretsPrinted());

const idIn = (text: string) => /\bopr_[0-9A-Za-z]+/.exec(text)![0];

describe("keygate operators", () => {
  it("add with the platform key makes the first owner, for the whole platform", async () => {
    const r = await ok(["operators", "add", "--email", "Owner@Example.COM", "--role", "owner"], platform);
    const id = idIn(r.stdout);
    expect(r.stdout.split("\n")[0]).toBe(`Added operator ${id} (owner@example.com) as owner.`);
    expect(r.stdout).toMatch(/^email:\s+owner@example\.com$/m);
    expect(r.stdout).toMatch(/^role:\s+owner$/m);
    expect(r.stdout).toMatch(/^tenant:\s+the whole platform$/m);
    expect(r.stdout).toMatch(/^last seen:\s+never$/m);
    // Values line up in one column.
    const block = r.stdout.trimEnd().split("\n").slice(2);
    expect(new Set(block.map((l) => /^[a-z ]+:\s+/.exec(l)![0].length)).size).toBe(1);
    expect(r.stderr).toBe("");
  });

  it("--json add prints the API's Operator; --tenant confines it to the tenant", async () => {
    const o = parseJson(await ok(["operators", "add", "--json", "--email", "viewer@acme.example", "--role", "viewer", "--tenant", tenantId], platform));
    expect(o).toEqual({
      id: expect.stringMatching(/^opr_/),
      email: "viewer@acme.example",
      role: "viewer",
      tenantId,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastSeenAt: null,
    });
    expect((await ok(["operators", "show", o.id], platform)).stdout).toMatch(new RegExp(`^tenant:\\s+${tenantId}$`, "m"));
  });

  it("list is an aligned table, newest first; --tenant filters; --json is {data, nextCursor}", async () => {
    const r = await ok(["operators", "list"], platform);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+EMAIL\s+ROLE\s+TENANT\s+LAST SEEN\s+CREATED$/);
    const emails = lines.slice(1).map((l) => l.split(/\s{2,}/)[1]);
    expect(emails.slice(0, 2)).toEqual(["viewer@acme.example", "owner@example.com"]);
    const col = lines[0]!.indexOf("ROLE");
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^(owner|admin|viewer)\s/);
    expect(lines.find((l) => l.includes("owner@example.com"))).toMatch(/\s\(platform\)\s+never\s/);

    const scoped = await ok(["operators", "list", "--tenant", tenantId], platform);
    expect(scoped.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(["viewer@acme.example"]);

    const json = parseJson(await ok(["operators", "list", "--json", "--tenant", tenantId], platform));
    expect(json).toMatchObject({ data: [{ email: "viewer@acme.example", tenantId }], nextCursor: null });
  });

  it("list pages with --limit and prints the next page's command on stderr", async () => {
    const first = await ok(["operators", "list", "--limit", "1"], platform);
    expect(first.stdout.trimEnd().split("\n")).toHaveLength(2);
    const more = /^More: keygate operators list --cursor (\S+)$/m.exec(first.stderr);
    expect(more, first.stderr).not.toBeNull();
    const second = await ok(["operators", "list", "--limit", "1", "--cursor", more![1]!], platform);
    expect(second.stdout.trimEnd().split("\n")[1]).not.toBe(first.stdout.trimEnd().split("\n")[1]);
    expect((await ok(["operators", "list", "--tenant", tenantId, "--limit", "5"], platform)).stderr).toBe("");
  });

  it("update changes the role; remove ends it, and the id is then unknown (an API error, exit 1)", async () => {
    const id = idIn((await ok(["operators", "add", "--email", "temp@example.com", "--role", "viewer"], platform)).stdout);
    const updated = await ok(["operators", "update", id, "--role", "admin"], platform);
    expect(updated.stdout.split("\n")[0]).toBe(`Updated operator ${id} (temp@example.com): now admin.`);
    expect(updated.stdout).toMatch(/^role:\s+admin$/m);
    expect(parseJson(await ok(["operators", "show", "--json", id], platform))).toMatchObject({ id, role: "admin" });

    expect((await ok(["operators", "remove", id], platform)).stdout).toBe(`Removed operator ${id}.\n`);
    const gone = await cli(["operators", "show", id], platform);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^keygate: 404 .*: No such operator\.$/m);
    expect(gone.stderr).toMatch(/^ {2}request id: /m);
  });

  it("remove --json prints nothing (the API answers 204) and exits 0", async () => {
    const id = idIn((await ok(["operators", "add", "--email", "brief@example.com", "--role", "viewer"], platform)).stdout);
    const r = await ok(["operators", "remove", "--json", id], platform);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    expect((await cli(["operators", "show", id], platform)).code).toBe(1);
  });

  it("help lists the operators commands and says the first owner is added with the platform key", async () => {
    const group = await ok(["operators", "--help"]);
    expect(group.stdout).toContain("Manage the people who sign in to the console, and their roles.");
    for (const c of ["add --email E --role owner|admin|viewer [--tenant ID]", "list [--tenant ID]", "show ID", "update ID --role", "remove ID"]) {
      expect(group.stdout).toContain(`keygate operators ${c}`);
    }
    const main = await ok(["help"]);
    for (const c of ["add", "list", "show", "update", "remove"]) expect(main.stdout).toMatch(new RegExp(`^ {2}operators ${c}\\s{2,}\\S`, "m"));
    const add = await ok(["help", "operators", "add"]);
    expect(add.stdout).toMatch(/The first owner is added with the platform key/);
    expect(add.stdout).toContain("KEYGATE_ADMIN_KEY");
    expect(add.stdout).toContain("keygate operators add --email you@example.com --role owner");
    expect(add.fetches).toBe(0);
  });
});

// keygate keys/tenants with access rules: --resource, --allow-ip and --deny-ip set them, `none`
// removes them on update, `show` prints them in the form the flags take, and a malformed value is
// a usage error (exit 2) before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn } from "../support/cli.ts";

let platform: string;
let tenantId: string;
beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Rules", "--slug", "rules", "--plan", "pro"], platform)).id;
});
afterAll(() => expectOnlyNewSecretsPrinted());

const valueOf = (stdout: string, label: string) => new RegExp(`^${label}:\\s+(.*)$`, "m").exec(stdout)?.[1];

describe("keygate keys with access rules", () => {
  it("create sets all three; show prints them as the flags take them; the printed value pastes back", async () => {
    const created = parseJson(
      await ok(
        [
          "keys", "create", "--json", "--tenant", tenantId, "--name", "ruled", "--scopes", "query",
          "--resource", "agent=a_1, agent=a_2,vector_store=vs_*,mcp_tool=",
          "--allow-ip", "10.0.0.0/8,2001:db8::/32",
          "--deny-ip", "10.9.0.0/16",
        ],
        platform,
      ),
    );
    expect(created).toMatchObject({
      resources: { agent: ["a_1", "a_2"], vector_store: ["vs_*"], mcp_tool: [] },
      allowedIps: ["10.0.0.0/8", "2001:db8::/32"],
      deniedIps: ["10.9.0.0/16"],
    });

    const shown = (await ok(["keys", "show", created.id], platform)).stdout;
    expect(valueOf(shown, "resources")).toBe("agent=a_1,agent=a_2,vector_store=vs_*,mcp_tool=");
    expect(valueOf(shown, "allowed ips")).toBe("10.0.0.0/8,2001:db8::/32");
    expect(valueOf(shown, "denied ips")).toBe("10.9.0.0/16");

    // What show printed is what the flags take.
    const again = parseJson(
      await ok(["keys", "update", "--json", created.id, "--resource", valueOf(shown, "resources")!, "--allow-ip", valueOf(shown, "allowed ips")!], platform),
    );
    expect(again).toMatchObject({ resources: created.resources, allowedIps: created.allowedIps });
  });

  it("update replaces a rule whole, and 'none' removes it", async () => {
    const k = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "changing", "--scopes", "query", "--allow-ip", "192.0.2.0/24"], platform));
    const replaced = await ok(["keys", "update", k.id, "--allow-ip", "::ffff:203.0.113.0/120,2001:db8::1", "--resource", "agent=*"], platform);
    expect(replaced.stdout).toContain(`Updated key ${k.id}`);
    expect(valueOf(replaced.stdout, "allowed ips")).toBe("::ffff:203.0.113.0/120,2001:db8::1");
    expect(valueOf(replaced.stdout, "resources")).toBe("agent=*");

    const cleared = await ok(["keys", "update", k.id, "--allow-ip", "none", "--resource", "none", "--deny-ip", "none"], platform);
    expect(valueOf(cleared.stdout, "resources")).toBe("every resource (no rule)");
    expect(valueOf(cleared.stdout, "allowed ips")).toBe("any network (no rule)");
    expect(valueOf(cleared.stdout, "denied ips")).toBe("no rule");
    const json = parseJson(await ok(["keys", "show", "--json", k.id], platform));
    expect(json).toMatchObject({ resources: null, allowedIps: null, deniedIps: null });
  });

  it("a key without rules shows that it has none", async () => {
    const r = await ok(["keys", "create", "--tenant", tenantId, "--name", "plain", "--scopes", "query"], platform);
    secretIn(r);
    expect(valueOf(r.stdout, "resources")).toBe("every resource (no rule)");
    expect(valueOf(r.stdout, "allowed ips")).toBe("any network (no rule)");
  });

  it("help explains each flag in one line", async () => {
    for (const command of [["keys", "create"], ["keys", "update"]]) {
      const help = (await ok(["help", ...command])).stdout;
      expect(help).toMatch(/^ {2}--resource R +TYPE=ID,\.\.\.: only these ids of each type named .*$/m);
      expect(help).toMatch(/^ {2}--allow-ip L +CIDR,\.\.\.: only from these addresses or ranges .*$/m);
      expect(help).toMatch(/^ {2}--deny-ip L +CIDR,\.\.\.: never from these addresses or ranges, whatever an allowlist says.*$/m);
    }
    expect((await ok(["help", "keys", "update"])).stdout).toContain("'none' removes the rule");
    for (const command of [["tenants", "create"], ["tenants", "update"]]) {
      const help = (await ok(["help", ...command])).stdout;
      expect(help).toMatch(/^ {2}--allow-ip L +CIDR,\.\.\.: every key of the tenant only from .*$/m);
      expect(help).toMatch(/^ {2}--deny-ip L +CIDR,\.\.\.: no key of the tenant from .*$/m);
    }
  });

  it.each([
    [["keys", "create", "--name", "x", "--scopes", "query", "--allow-ip", "10.0.0.0/33"], "--allow-ip: '10.0.0.0/33' is not an address"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--deny-ip", "10.0.0.0/8,010.0.0.1"], "--deny-ip: '010.0.0.1' is not an address"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--deny-ip", "fe80::1%eth0"], "--deny-ip: 'fe80::1%eth0' is not an address"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--resource", "none"], "--resource none removes a rule on update; on create, leave --resource out"],
    [["keys", "create", "--name", "x", "--scopes", "query", "--allow-ip", " , "], "--allow-ip needs at least one entry"],
    [["keys", "update", "key_0000000000000000", "--resource", "agent"], "--resource takes TYPE=ID pairs"],
    [["keys", "update", "key_0000000000000000", "--resource", "Agent=a_1"], "got 'Agent=a_1'"],
    [["keys", "update", "key_0000000000000000", "--resource", "agent=a b"], "--resource: 'a b' is not an id"],
    [["keys", "update", "key_0000000000000000", "--resource", "agent=a*b"], "--resource: 'a*b' is not an id"],
    [["keys", "update", "key_0000000000000000", "--allow-ip", ""], "--allow-ip needs at least one entry, or 'none'"],
    [["tenants", "create", "--name", "x", "--slug", "x", "--allow-ip", "1.2.3"], "--allow-ip: '1.2.3' is not an address"],
    [["tenants", "create", "--name", "x", "--slug", "x", "--deny-ip", "none"], "--deny-ip none removes a rule on update"],
    [["tenants", "update", "ten_0000000000000000", "--deny-ip", "::/129"], "--deny-ip: '::/129' is not an address"],
  ])("usage error, nothing sent: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.fetches).toBe(0);
  });

  it("what only the gateway checks comes back as its problem, naming the field (exit 1)", async () => {
    const many = Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/16`).join(",");
    const r = await cli(["keys", "create", "--tenant", tenantId, "--name", "many", "--scopes", "query", "--allow-ip", many], platform);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("422 Validation failed");
    expect(r.stderr).toMatch(/^ {2}allowedIps: at most 100 entries$/m);
  });
});

describe("keygate tenants with network rules", () => {
  it("create and update set and remove them; show prints them", async () => {
    const t = parseJson(
      await ok(["tenants", "create", "--json", "--name", "Net", "--slug", "net", "--allow-ip", "10.0.0.0/8,2001:db8::/32", "--deny-ip", "10.66.0.0/16"], platform),
    );
    expect(t).toMatchObject({ allowedIps: ["10.0.0.0/8", "2001:db8::/32"], deniedIps: ["10.66.0.0/16"] });
    const shown = (await ok(["tenants", "show", t.id], platform)).stdout;
    expect(valueOf(shown, "allowed ips")).toBe("10.0.0.0/8,2001:db8::/32");
    expect(valueOf(shown, "denied ips")).toBe("10.66.0.0/16");
    expect(valueOf(shown, "resources")).toBeUndefined();

    const updated = await ok(["tenants", "update", t.id, "--allow-ip", "none", "--deny-ip", "192.0.2.0/24"], platform);
    expect(valueOf(updated.stdout, "allowed ips")).toBe("any network (no rule)");
    expect(valueOf(updated.stdout, "denied ips")).toBe("192.0.2.0/24");
    expect(parseJson(await ok(["tenants", "show", "--json", t.id], platform))).toMatchObject({ allowedIps: null, deniedIps: ["192.0.2.0/24"] });
  });
});

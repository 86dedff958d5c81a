import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../cli/core/run.ts";
import { platformKey } from "../support/gateway.ts";
import { cli, expectOnlyNewSecretsPrinted, ok } from "../support/cli.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});
afterAll(() => expectOnlyNewSecretsPrinted());

describe("keygate: help", () => {
  it("help and --help print the overview, exit 0", async () => {
    for (const argv of [["help"], ["--help"], ["-h"]]) {
      const r = await ok(argv);
      expect(r.stdout).toContain("Usage: keygate <command> [flags]");
      const all = [
        "bootstrap",
        ...["create", "list", "show", "update"].map((c) => `tenants ${c}`),
        ...["create", "list", "show", "update", "enable", "disable", "extend", "revoke", "roll", "delete"].map((c) => `keys ${c}`),
        "usage",
        "analytics",
        "analytics offenders",
        "audit",
        "alerts create",
        "alerts list",
        "alerts show",
        "alerts update",
        "alerts delete",
        "alerts events",
        "alerts rotate-secret",
        "operators add",
        "operators list",
        "operators show",
        "operators update",
        "operators remove",
        "permission-sets",
      ];
      expect(COMMANDS.map((c) => c.name)).toEqual(all);
      for (const c of all) expect(r.stdout).toContain(`  ${c} `);
      expect(r.stdout).toContain("KEYGATE_ADMIN_KEY");
      expect(r.stdout).toMatch(/no flag for it, because command lines end up in\s+shell history/);
      expect(r.stdout).toContain("Exit codes: 0 ok, 1 API error (4xx/5xx), 2 usage error, 3 cannot reach the gateway.");
    }
  });

  it("each command has its own help, via --help anywhere or `help <command>`", async () => {
    for (const argv of [["keys", "create", "--help"], ["help", "keys", "create"], ["--help", "keys", "create", "--name", "x"]]) {
      const r = await ok(argv);
      expect(r.stdout).toMatch(/^Usage: keygate keys create --name N \(--scopes a,b \| --permission-set P\)/);
      expect(r.stdout).toContain("--permission-set P");
      expect(r.fetches).toBe(0);
    }
    expect((await ok(["bootstrap", "--help"])).stdout).toContain("--persist-to DIR");
    expect((await ok(["keys", "roll", "-h"])).stdout).toContain("--grace-seconds N");
    const group = await ok(["keys", "--help"]);
    expect(group.stdout).toContain("keygate keys revoke ID [--reason R]");
  });

  it("every command has help: its usage line, and each flag it takes described", async () => {
    for (const c of COMMANDS) {
      for (const argv of [["help", ...c.name.split(" ")], [...c.name.split(" "), "--help"]]) {
        const r = await ok(argv);
        expect(r.stdout.split("\n")[0]).toBe(`Usage: keygate ${c.usage}`);
        expect(r.fetches).toBe(0);
        for (const flag of c.flags) expect(r.stdout, `${c.name} --${flag}`).toMatch(new RegExp(`^ {2}--${flag}\\b`, "m"));
      }
    }
    const keys = await ok(["keys", "--help"]);
    for (const c of ["update", "enable", "disable", "extend", "delete"]) expect(keys.stdout).toContain(`  keygate keys ${c} ID`);
    expect((await ok(["tenants", "--help"])).stdout).toContain("  keygate tenants update ID [--name N]");
  });

  it("no command, or a bare group, prints help to stderr and exits 2", async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("Usage: keygate <command>");
    const group = await cli(["tenants"]);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("keygate tenants create");
  });
});

describe("keygate: usage errors exit 2", () => {
  it.each([
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["keys", "list", "--frob"], "unknown flag '--frob'"],
    [["keys", "list", "-x"], "unknown flag '-x'"],
    [["help", "nope"], "unknown command 'nope'"],
  ])("keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`keygate: ${message}`);
    expect(r.fetches).toBe(0);
  });

  it("there is no flag for the admin key, and the error says why", async () => {
    for (const flag of ["--key", "--admin-key", "--api-key=whatever", "--token"]) {
      const r = await cli(["keys", "list", flag, "x"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("KEYGATE_ADMIN_KEY environment variable only");
      expect(r.stderr).toContain("shell history");
      expect(r.fetches).toBe(0);
    }
  });

  it("--key names a key's id for usage and audit, and is refused everywhere else", async () => {
    for (const argv of [["keys", "show", "key_0000000000000000", "--key", "key_0000000000000000"], ["tenants", "list", "--key", "x"]]) {
      const r = await cli(argv, platform);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("takes no --key (--key names a key's id, for usage and audit)");
      expect(r.stderr).toContain("KEYGATE_ADMIN_KEY environment variable only");
      expect(r.fetches).toBe(0);
    }
    for (const command of ["usage", "audit"]) {
      const r = await cli([command, "--key", "my-admin-key"], platform);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--key takes a key's id (key_…), not a secret: the admin key is read from the KEYGATE_ADMIN_KEY environment variable only");
      expect(r.fetches).toBe(0);
    }
  });

  it("refuses a secret passed as an argument, without sending or echoing it", async () => {
    for (const argv of [
      ["keys", "show", platform],
      ["keys", "list", "--cursor", platform],
      ["tenants", "create", "--name", `x${platform}`, "--slug", "x"],
      ["usage", "--key", platform],
      ["audit", `--key=${platform}`],
      ["keys", "update", "key_0000000000000000", "--description", `see ${platform}`],
    ]) {
      const r = await cli(argv, platform);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("looks like an API key");
      expect(r.stderr).not.toContain(platform.slice(8));
      expect(r.fetches).toBe(0);
    }
  });
});

describe("keygate: environment and connectivity", () => {
  it("a missing KEYGATE_ADMIN_KEY is a clear error (exit 2) and nothing is sent", async () => {
    for (const key of [undefined, "", "   "]) {
      const r = await cli(["keys", "list"], key);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("KEYGATE_ADMIN_KEY is not set");
      expect(r.stderr).toContain("read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY");
      expect(r.stderr).toContain("keygate bootstrap");
      expect(r.fetches).toBe(0);
    }
  });

  it("a wrong admin key is an API error: 401 with the problem detail", async () => {
    const r = await cli(["keys", "list"], "kg_live_00000000000000000000000000000000000000");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keygate: 401 (Malformed|Invalid) API key/);
    expect(r.stderr).toMatch(/request id: \S+/);
  });

  it("an unreachable gateway exits 3 and says where it tried", async () => {
    const r = await cli(["tenants", "list", "--url", "http://127.0.0.1:1"], platform, {
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) });
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach the gateway at http://127.0.0.1:1: fetch failed (ECONNREFUSED)");
    expect(r.stderr).toContain("npm run dev");
  });

  it("uses --url over KEYGATE_URL over the local default, and sends the key as a Bearer header only", async () => {
    const seen: { url: string; auth: string | null; body?: string }[] = [];
    const fetch = async (input: string, init?: RequestInit) => {
      const req = new Request(input, init);
      seen.push({ url: req.url, auth: req.headers.get("authorization") });
      return Response.json({ data: [], nextCursor: null });
    };
    await ok(["tenants", "list"], platform, { fetch, env: { KEYGATE_URL: undefined } });
    await ok(["tenants", "list"], platform, { fetch, env: { KEYGATE_URL: "https://gw.example.com/base/" } });
    await ok(["tenants", "list", "--url", "https://other.example.com"], platform, { fetch, env: { KEYGATE_URL: "https://gw.example.com" } });
    expect(seen.map((s) => s.url)).toEqual([
      "http://127.0.0.1:8787/v1/tenants",
      "https://gw.example.com/base/v1/tenants",
      "https://other.example.com/v1/tenants",
    ]);
    expect(seen.every((s) => s.auth === `Bearer ${platform}` && !s.url.includes(platform))).toBe(true);
  });

  it("warns when the key would cross the network unencrypted", async () => {
    const fetch = async () => Response.json({ data: [], nextCursor: null });
    const r = await ok(["tenants", "list", "--url", "http://gw.example.com"], platform, { fetch });
    expect(r.stderr).toContain("warning: sending the admin key over plain http");
    const local = await ok(["tenants", "list", "--url", "http://localhost:8787"], platform, { fetch });
    expect(local.stderr).toBe("");
  });

  it("a non-JSON answer (a proxy's error page) is an API error, not a crash", async () => {
    const fetch = async () => new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" });
    const r = await cli(["tenants", "list"], platform, { fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("502 HTTP 502 Bad Gateway: <html>Bad Gateway</html>");
    const weird = await cli(["tenants", "list"], platform, { fetch: async () => new Response("ok") });
    expect(weird.code).toBe(1);
    expect(weird.stderr).toContain("Unexpected response");
  });

  it("scrubs key material out of anything the server echoes back", async () => {
    const leaked = "kg_live_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef123456";
    const fetch = async () =>
      Response.json({ title: "Bad", status: 400, detail: `you sent ${leaked}`, request_id: "r1" }, { status: 400 });
    const r = await cli(["tenants", "list", "--json"], platform, { fetch });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(leaked);
    expect(r.stderr).toContain("you sent kg_live_…[redacted]");
  });
});

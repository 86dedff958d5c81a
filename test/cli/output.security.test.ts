// Names, descriptions and reasons come from tenant admins, and the CLI prints them on an
// operator's terminal. The API refuses control characters now, but rows written before that (or by
// a gateway that does not) must not rewrite the terminal either: every non-printable character is
// shown as \uXXXX, in tables, blocks, messages and errors; --json stays the same JSON.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printable } from "../../cli/core/output.ts";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn, type Result } from "../support/cli.ts";

/** Clear screen, OSC 52 (write the clipboard), a C1 CSI, a bidi override, a line break, a CR. */
const HOSTILE_NAME = "a\u001b[2J\u001b]52;c;aGk=\u0007b\u009b31m\u202egnp.exe\nkey_fake  active\rc";
const HOSTILE_DESC = "d\u2066\u200f\u0085\u007f\u2028\u00ade";

/** What a terminal acts on or hides; only our own line breaks may pass. */
const RAW_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
function expectNoRawControls(r: Result) {
  for (const [stream, text] of [
    ["stdout", r.stdout],
    ["stderr", r.stderr],
  ] as const) {
    const found = [...text].filter((ch) => ch !== "\n" && RAW_CONTROL.test(ch));
    expect(found.map((ch) => `U+${ch.codePointAt(0)!.toString(16)}`), `${stream} of keygate ${r.argv.join(" ")}`).toEqual([]);
  }
}

let platform: string;
let tenantId: string;
let keyId: string;
beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme-esc"], platform)).id;
  keyId = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "plain", "--permission-set", "read_only"], platform)).id;
  // Written straight to D1, as a row stored before the API refused them would be.
  await env.DB.batch([
    env.DB.prepare("UPDATE tenants SET name = ? WHERE id = ?").bind(HOSTILE_NAME, tenantId),
    env.DB.prepare("UPDATE api_keys SET name = ?, description = ? WHERE id = ?").bind(HOSTILE_NAME, HOSTILE_DESC, keyId),
  ]);
});
afterAll(() => expectOnlyNewSecretsPrinted());

describe("printable()", () => {
  it("escapes controls, bidi and invisible format characters as \\uXXXX, and nothing else", () => {
    expect(printable("a\u001b[2Jb")).toBe("a\\u001b[2Jb");
    expect(printable("\u202eabc\u2069\u0085\u007f\n\t\r")).toBe("\\u202eabc\\u2069\\u0085\\u007f\\u000a\\u0009\\u000d");
    expect(printable("x\udb40\udc01y\ud800")).toBe("x\\udb40\\udc01y\\ud800");
    expect(printable("Café ☕ 東京 \\u001b")).toBe("Café ☕ 東京 \\u001b");
    expect(printable("line\nnext\ttab\u001b", "\n\t")).toBe("line\nnext\ttab\\u001b");
  });
});

describe("the CLI never prints a raw control", () => {
  it("keys list: one row per key, the name escaped", async () => {
    const r = await ok(["keys", "list", "--tenant", tenantId], platform);
    expectNoRawControls(r);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(printable(HOSTILE_NAME));
    expect(lines[1]).toContain("\\u001b[2J\\u001b]52;c;aGk=\\u0007b\\u009b31m\\u202egnp.exe\\u000akey_fake  active\\u000dc");
  });

  it("keys show and keys revoke: name and description escaped on their own lines", async () => {
    const show = await ok(["keys", "show", keyId], platform);
    expectNoRawControls(show);
    expect(show.stdout).toMatch(/^name:\s+a\\u001b\[2J.*\\u000dc$/m);
    expect(show.stdout).toMatch(/^description:\s+d\\u2066\\u200f\\u0085\\u007f\\u2028\\u00ade$/m);

    const revoke = await ok(["keys", "revoke", keyId, "--reason", "cleanup"], platform);
    expectNoRawControls(revoke);
    expect(revoke.stdout.split("\n")[0]).toBe(`Revoked key ${keyId} (${printable(HOSTILE_NAME)}). This cannot be undone.`);
  });

  it("tenants list", async () => {
    const r = await ok(["tenants", "list"], platform);
    expectNoRawControls(r);
    expect(r.stdout).toContain(printable(HOSTILE_NAME));
  });

  it("tenants show and update: name and description escaped on their own lines", async () => {
    await env.DB.prepare("UPDATE tenants SET description = ? WHERE id = ?").bind(HOSTILE_DESC, tenantId).run();
    for (const argv of [["tenants", "show", tenantId], ["tenants", "update", tenantId, "--plan", "pro"]]) {
      const r = await ok(argv, platform);
      expectNoRawControls(r);
      expect(r.stdout).toMatch(/^name:\s+a\\u001b\[2J.*\\u000dc$/m);
      expect(r.stdout).toMatch(/^description:\s+d\\u2066\\u200f\\u0085\\u007f\\u2028\\u00ade$/m);
    }
  });

  it("keys update, disable, extend, delete: the name escaped in the headline and the block", async () => {
    const other = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "other", "--scopes", "query", "--expires-at", "2099-01-01"], platform));
    await env.DB.prepare("UPDATE api_keys SET name = ? WHERE id = ?").bind(HOSTILE_NAME, other.id).run();
    for (const argv of [
      ["keys", "update", other.id, "--monthly-quota", "10"],
      ["keys", "disable", other.id],
      ["keys", "extend", other.id, "--expires", "2100-01-01"],
      ["keys", "delete", other.id, "--yes"],
    ]) {
      const r = await ok(argv, platform);
      expectNoRawControls(r);
      expect(r.stdout.split("\n")[0]).toContain(`(${printable(HOSTILE_NAME)})`);
    }
  });

  it("audit: one row per entry, action and details escaped", async () => {
    await env.DB.prepare(
      "INSERT INTO audit_log (id, tenant_id, actor_key_id, actor_tenant_id, action, target_type, target_id, ip, request_id, details, at) VALUES ('aud_00000000000000000001', ?, NULL, NULL, ?, 'tenant', ?, ?, NULL, ?, 1)",
    )
      .bind(tenantId, "x\u001b[31m\nkey.revoke", tenantId, "203.0.113.9\r", JSON.stringify({ note: HOSTILE_DESC }))
      .run();
    const r = await ok(["audit", "--tenant", tenantId, "--all"], platform);
    expectNoRawControls(r);
    const row = r.stdout.split("\n").find((l) => l.startsWith("1970-"));
    expect(row).toContain("x\\u001b[31m\\u000akey.revoke");
    expect(row).toContain("203.0.113.9\\u000d");
    expect(row).toContain('{"note":"d\\u2066\\u200f\\u0085\\u007f\\u2028\\u00ade"}');
    const j = parseJson(await ok(["audit", "--json", "--tenant", tenantId, "--all"], platform));
    expect(j.data.find((a: any) => a.id === "aud_00000000000000000001").details).toEqual({ note: HOSTILE_DESC });
  });

  it("usage: a route name escaped, one row per route", async () => {
    await env.DB.prepare(
      "INSERT INTO usage_daily (key_id, tenant_id, day, route, requests, refused, status_2xx, status_3xx, status_4xx, status_5xx) VALUES (?, ?, '2026-11-01', ?, 3, 0, 3, 0, 0, 0)",
    )
      .bind(keyId, tenantId, "GET /x\u001b]52;c;aGk=\u0007\nTOTAL 0")
      .run();
    const r = await ok(["usage", "--tenant", tenantId, "--month", "2026-11"], platform);
    expectNoRawControls(r);
    expect(r.stdout).toMatch(/^GET \/x\\u001b\]52;c;aGk=\\u0007\\u000aTOTAL 0\s+3\s/m);
    expect(r.stdout.match(/^TOTAL/gm)).toHaveLength(1);
  });

  it("--json: the same JSON, with every control escaped", async () => {
    for (const argv of [
      ["keys", "list", "--json", "--tenant", tenantId],
      ["keys", "show", "--json", keyId],
      ["tenants", "list", "--json"],
    ]) {
      const r = await ok(argv, platform);
      expectNoRawControls(r);
      const body = parseJson(r);
      const found = (body.data ?? [body]).find((x: any) => x.id === keyId || x.id === tenantId);
      expect(found.name).toBe(HOSTILE_NAME);
      if (found.description !== undefined) expect(found.description).toBe(HOSTILE_DESC);
    }
  });

  it("the API's errors: fields escaped whole, the problem JSON escaped too", async () => {
    const detail = "bad\u001b]0;pwned\u0007\nkeygate: 200 OK\u202e";
    const problem = { type: "https://keygate.dev/problems/x", title: "T\u009b2J", status: 422, detail, errors: [{ path: "name\r", message: "m\u001b[8m" }] };
    const fetch = async () => new Response(JSON.stringify(problem), { status: 422, headers: { "content-type": "application/problem+json" } });
    for (const argv of [["keys", "show", keyId], ["keys", "show", "--json", keyId]]) {
      const r = await cli(argv, platform, { fetch });
      expect(r.code).toBe(1);
      expectNoRawControls(r);
      expect(r.stderr.split("\n")[0]).toBe(`keygate: 422 T\\u009b2J: ${printable(detail)}`);
      expect(r.stderr).toContain("  name\\u000d: m\\u001b[8m");
      if (argv.includes("--json")) expect(JSON.parse(r.stdout)).toEqual(problem);
    }
  });

  it("the API refuses such names in the first place", async () => {
    const r = await cli(["keys", "create", "--tenant", tenantId, "--name", "x\u001b[2Jy", "--permission-set", "read_only"], platform);
    expect(r.code).toBe(1);
    expectNoRawControls(r);
    expect(r.stderr).toMatch(/^ {2}name: must not contain control characters/m);
  });
});

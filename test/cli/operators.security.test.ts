// An operator's email is printed on another operator's terminal. A row stored before the API
// checked emails (or by a gateway that does not) must not rewrite that terminal: list and show
// escape every non-printable character, one operator stays one row, and --json stays the same JSON.
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printable } from "../../cli/core/output.ts";
import { expectOnlyNewSecretsPrinted, ok, parseJson, type Result } from "../support/cli.ts";
import { platformKey } from "../support/gateway.ts";

/** Clear screen, OSC 52 (write the clipboard), a bidi override, a line break posing as a row. */
const HOSTILE_EMAIL = "a\u001b[2J\u001b]52;c;aGk=\u0007@x\u202emoc.example\nopr_fake  owner\rz";
const RAW_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

function expectNoRawControls(r: Result) {
  const found = [...r.stdout + r.stderr].filter((ch) => ch !== "\n" && RAW_CONTROL.test(ch));
  expect(found.map((ch) => `U+${ch.codePointAt(0)!.toString(16)}`), `keygate ${r.argv.join(" ")}`).toEqual([]);
}

let platform: string;
let id: string;
beforeAll(async () => {
  platform = await platformKey();
  id = parseJson(await ok(["operators", "add", "--json", "--email", "plain@example.com", "--role", "viewer"], platform)).id;
  // Written straight to D1, as a row stored before the API refused such an email would be.
  await env.DB.prepare("UPDATE operators SET email = ? WHERE id = ?").bind(HOSTILE_EMAIL, id).run();
});
afterAll(() => expectOnlyNewSecretsPrinted());

describe("keygate operators never prints a raw control", () => {
  it("list: one row per operator, the email escaped", async () => {
    const r = await ok(["operators", "list"], platform);
    expectNoRawControls(r);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(printable(HOSTILE_EMAIL));
  });

  it("show and update: the email escaped on its own line and in the headline", async () => {
    const show = await ok(["operators", "show", id], platform);
    expectNoRawControls(show);
    expect(show.stdout).toMatch(/^email:\s+a\\u001b\[2J.*\\u000dz$/m);
    const update = await ok(["operators", "update", id, "--role", "admin"], platform);
    expectNoRawControls(update);
    expect(update.stdout.split("\n")[0]).toBe(`Updated operator ${id} (${printable(HOSTILE_EMAIL)}): now admin.`);
  });

  it("--json: the same JSON, every control escaped", async () => {
    const r = await ok(["operators", "list", "--json"], platform);
    expectNoRawControls(r);
    expect(parseJson(r).data.find((o: { id: string }) => o.id === id).email).toBe(HOSTILE_EMAIL);
  });
});

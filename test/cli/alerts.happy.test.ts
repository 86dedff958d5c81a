// keygate alerts against the Worker: create prints the webhook secret once, with a warning;
// list, show, update, events, rotate-secret and delete read and change the rule through the API;
// flag values are checked before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectOnlyNewSecretsPrinted, ok, parseJson, secretIn, transcript } from "../support/cli.ts";
import { QUIET_DAY, Receiver, retire, run, seed } from "../support/webhooks.ts";

let platform: string;
let tenantId: string;
let adminKeyId: string;
const made: string[] = [];
const rx = new Receiver();
const WHSEC = /whsec_[A-Za-z0-9+/]{32}/g;

beforeAll(async () => {
  platform = secretIn(await ok(["bootstrap"]));
  tenantId = parseJson(await ok(["tenants", "create", "--json", "--name", "Acme", "--slug", "acme", "--plan", "pro"], platform)).id;
  adminKeyId = parseJson(await ok(["keys", "create", "--json", "--tenant", tenantId, "--name", "acme-admin", "--permission-set", "full_access"], platform)).id;
});
afterAll(async () => {
  expectOnlyNewSecretsPrinted();
  // Webhook secrets too: each printed by exactly one create or rotate-secret, and by nothing else.
  const printed = new Map<string, string[]>();
  for (const r of transcript) {
    const words = r.argv.filter((a) => !a.startsWith("-")).join(" ");
    for (const s of new Set((r.stdout + r.stderr).match(WHSEC) ?? [])) {
      expect(["alerts create", "alerts rotate-secret"].some((c) => words.startsWith(c)), `keygate ${r.argv.join(" ")} printed a webhook secret`).toBe(true);
      printed.set(s, [...(printed.get(s) ?? []), words]);
    }
  }
  for (const runs of printed.values()) expect(runs).toHaveLength(1);
  await retire(...made);
});

const idIn = (text: string) => /\balr_[0-9A-Za-z]+/.exec(text)![0];

describe("keygate alerts", () => {
  it("create prints the secret once with a warning and the rule; show, list and --json never show it", async () => {
    const r = await ok(["alerts", "create", "--tenant", tenantId, "--name", "too many requests", "--metric", "requests", "--threshold", "10", "--window", "5", "--webhook-url", rx.url], platform);
    const secret = [...new Set(r.stdout.match(WHSEC))];
    expect(secret).toHaveLength(1);
    expect(r.stdout).toContain("Store this secret now");
    expect(r.stdout).toMatch(/^fires when:\s+requests >= 10 over 5 min$/m);
    expect(r.stdout).toMatch(new RegExp(`^tenant:\\s+${tenantId}$`, "m"));
    const id = idIn(r.stdout);
    made.push(id);
    await rx.configure({ secret: secret[0]! });

    const show = await ok(["alerts", "show", id], platform);
    expect(show.stdout).toMatch(/^state:\s+ok$/m);
    expect(show.stdout).toMatch(/^last evaluated:\s+never$/m);
    const list = await ok(["alerts", "list", "--tenant", tenantId], platform);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+TENANT\s+FIRES WHEN\s+STATE\s+LAST VALUE$/);
    expect(list.stdout).toContain(`${id}  too many requests  ${tenantId}  requests >= 10 over 5 min  ok`);
    const json = parseJson(await ok(["alerts", "list", "--json"], platform));
    expect(json.data.map((a: any) => a.id)).toContain(id);
    expect(json.data.every((a: any) => a.secret === undefined)).toBe(true);
  });

  it("a platform rule without --tenant watches all traffic; --json create carries the secret for scripts", async () => {
    const created = parseJson(await ok(["alerts", "create", "--json", "--name", "edge 5xx", "--metric", "error_rate", "--threshold", "0.05", "--window", "2h", "--webhook-url", rx.url, "--enabled", "false"], platform));
    made.push(created.id);
    expect(created).toMatchObject({ tenantId: null, metric: "error_rate", threshold: 0.05, windowMinutes: 120, enabled: false, secret: expect.stringMatching(/^whsec_/) });
    expect((await ok(["alerts", "show", created.id], platform)).stdout).toMatch(/^tenant:\s+all traffic \(platform rule\)$/m);
  });

  it("update changes only what is given; events shows each delivery; rotate-secret prints the new secret once", async () => {
    const id = made[0]!;
    const updated = await ok(["alerts", "update", id, "--threshold", "3", "--window", "15m"], platform);
    expect(updated.stdout).toMatch(/^fires when:\s+requests >= 3 over 15 min$/m);
    expect(updated.stdout).toMatch(/^name:\s+too many requests$/m);

    expect((await ok(["alerts", "events", id], platform)).stdout).toBe("No events: the rule has not fired.\n");
    const t = QUIET_DAY + 9 * 86_400_000;
    await seed({ tenantId, keyId: adminKeyId }, [{ at: t, count: 4 }]);
    await run(t + 1_000);
    const events = await ok(["alerts", "events", id], platform);
    expect(events.stdout.split("\n")[0]).toMatch(/^AT\s+TYPE\s+VALUE\s+THRESHOLD\s+DELIVERY\s+ATTEMPTS\s+LAST STATUS\s+EVENT$/);
    const cells = events.stdout.split("\n")[1]!.split(/\s{2,}/);
    expect(cells).toEqual([new Date(t + 1_000).toISOString().replace(".000", ""), "alert.firing", "4", "3", expect.stringMatching(/^delivered /), "1", "204", expect.stringMatching(/^msg_\w+$/)]);
    expect((await rx.deliveries())[0]).toMatchObject({ verified: true });
    expect((await ok(["alerts", "show", id], platform)).stdout).toMatch(/^state:\s+firing$/m);

    const rotated = await ok(["alerts", "rotate-secret", id], platform);
    expect(rotated.stdout).toContain("Store this secret now");
    expect(new Set(rotated.stdout.match(WHSEC)).size).toBe(1);
  });

  it("delete needs --yes; then the rule is gone (an API error, exit 1)", async () => {
    const id = parseJson(await ok(["alerts", "create", "--json", "--tenant", tenantId, "--name", "doomed", "--metric", "rate_limited", "--threshold", "1", "--window", "1", "--webhook-url", rx.url], platform)).id;
    const refused = await cli(["alerts", "delete", id], platform);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("add --yes");
    expect(refused.fetches).toBe(0);
    expect((await ok(["alerts", "delete", id, "--yes"], platform)).stdout).toBe(`Deleted alert rule ${id} (doomed) and its events.\n`);
    const gone = await cli(["alerts", "show", id], platform);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("404 Not found: No such alert rule.");
  });

  it("the API's validation comes back as exit 1 with the field", async () => {
    const r = await cli(["alerts", "create", "--name", "x", "--metric", "requests", "--threshold", "1", "--window", "1", "--webhook-url", "http://hooks.example.com/x"], platform);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("422 Validation failed");
    expect(r.stderr).toMatch(/webhookUrl: must be https/);
  });

  it.each([
    [["alerts", "show", "key_0000000000000000"], "is not an alert rule id (alr_…)"],
    [["alerts", "create", "--name", "x", "--metric", "requests", "--threshold", "1", "--window", "1"], "missing --webhook-url"],
    [["alerts", "create", "--name", "x", "--metric", "latency", "--threshold", "1", "--window", "1", "--webhook-url", "https://h.example"], "--metric must be one of auth_failures"],
    [["alerts", "create", "--name", "x", "--metric", "requests", "--threshold", "-1", "--window", "1", "--webhook-url", "https://h.example"], "--threshold must be a number of at least 0"],
    [["alerts", "create", "--name", "x", "--metric", "requests", "--threshold", "1", "--window", "0", "--webhook-url", "https://h.example"], "--window must be 1 to 1440 minutes"],
    [["alerts", "create", "--name", "x", "--metric", "requests", "--threshold", "1", "--window", "25h", "--webhook-url", "https://h.example"], "--window must be 1 to 1440 minutes"],
    [["alerts", "update", "alr_0000000000000000"], "nothing to update"],
    [["alerts", "update", "alr_0000000000000000", "--enabled", "yes"], "--enabled must be one of true, false"],
    [["alerts", "list", "--state", "broken"], "--state must be one of ok, firing"],
    [["alerts", "list", "--tenant", "acme"], "--tenant takes a tenant id (ten_…)"],
    [["alerts", "events"], "missing ID"],
  ])("usage error: keygate %j", async (argv, message) => {
    const r = await cli(argv, platform);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.fetches).toBe(0);
  });

  it("help lists the alerts commands", async () => {
    const group = await ok(["alerts", "--help"]);
    expect(group.stdout).toContain("Manage alert rules and their signed webhooks.");
    for (const c of ["create", "list", "show", "update", "delete", "events", "rotate-secret"]) expect(group.stdout).toContain(`keygate alerts ${c}`);
    expect((await ok(["help"])).stdout).toMatch(/^ {2}alerts rotate-secret\s+Replace a rule's webhook signing secret/m);
  });
});

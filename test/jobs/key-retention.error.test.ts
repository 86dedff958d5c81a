// KEY_RETENTION_DAYS as an operator may get it wrong, and a sweep whose D1 write fails. Deleting
// erases secrets for good, so anything but a whole number of days switches retention off (logged),
// and a failed run leaves every key as it was.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { keyRetentionMs } from "../../src/config/settings.ts";
import { sweep } from "../../src/jobs/sweep.ts";
import { countRows } from "../support/admin.ts";
import { faultyD1, withEnv } from "../support/faults.ts";
import { call, createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";

const DAY = 86_400_000;
let platform: string;
let admin: string;
beforeAll(async () => {
  platform = await platformKey();
  ({ admin } = await tenantWithAdmin(platform));
});
afterEach(() => vi.restoreAllMocks());

/** A key revoked now; each sweep below is given a later `now`. */
async function revokedKey(): Promise<{ id: string }> {
  const k = await createKey(admin, { scopes: ["query"] });
  expect((await call(`/v1/keys/${k.id}/revoke`, { key: admin, body: {} })).status).toBe(200);
  return k;
}
const deleted = (id: string) => countRows("SELECT count(*) AS n FROM api_keys WHERE id = ? AND deleted_at IS NOT NULL", id);

describe("KEY_RETENTION_DAYS", () => {
  it("parses whole days; 0 and off switch it off; unset or empty is 90 days", () => {
    expect(keyRetentionMs("7")).toBe(7 * DAY);
    expect(keyRetentionMs(" 365 ")).toBe(365 * DAY);
    expect(keyRetentionMs(undefined)).toBe(90 * DAY);
    expect(keyRetentionMs("")).toBe(90 * DAY);
    expect(keyRetentionMs("0")).toBeNull();
    expect(keyRetentionMs("off")).toBeNull();
    expect(keyRetentionMs("OFF")).toBeNull();
  });

  it("0 or off: nothing is deleted, however old", async () => {
    const k = await revokedKey();
    for (const value of ["0", "off"]) {
      expect((await sweep(withEnv({ KEY_RETENTION_DAYS: value }), Date.now() + 10_000 * DAY)).deletedKeys).toBe(0);
    }
    expect(await deleted(k.id)).toBe(0);
  });

  it("a value that is not a whole number of days switches it off, and says so once per value", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const k = await revokedKey();
    for (const value of ["30d", "-5", "1.5", "abc", "1e3", "99999999"]) {
      for (let i = 0; i < 2; i++) {
        expect((await sweep(withEnv({ KEY_RETENTION_DAYS: value }), Date.now() + 10_000 * DAY)).deletedKeys).toBe(0);
      }
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("config.invalid") && l.includes("KEY_RETENTION_DAYS"));
      expect(lines, value).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ setting: "KEY_RETENTION_DAYS", value, using: "off" });
      warn.mockClear();
    }
    expect(await deleted(k.id)).toBe(0);
  });

  it("a shorter period applies as set", async () => {
    const k = await revokedKey();
    const seven = withEnv({ KEY_RETENTION_DAYS: "7" });
    expect((await sweep(seven, Date.now() + 6 * DAY)).deletedKeys).toBe(0);
    expect(await deleted(k.id)).toBe(0);
    expect((await sweep(seven, Date.now() + 8 * DAY)).deletedKeys).toBeGreaterThanOrEqual(1);
    expect(await deleted(k.id)).toBe(1);
    const row = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'key.delete'").bind(k.id).first<{ details: string }>();
    expect(JSON.parse(row!.details)).toMatchObject({ reason: "retention", retentionDays: 7 });
  });
});

describe("a sweep whose D1 write fails", () => {
  it("leaves every key, secret and audit row as it was; the job part still ran; the next run deletes", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const k = await revokedKey();
    const audit = () => countRows("SELECT count(*) AS n FROM audit_log WHERE action = 'key.delete'");
    const before = await audit();
    // The sweep's first batch is the jobs' and idempotency records'; the second is the keys'.
    let batches = 0;
    const { db } = faultyD1((c) => (c.kind === "batch" && ++batches === 2 ? "fail" : "ok"));
    const later = Date.now() + 91 * DAY;
    expect(await sweep(withEnv({ DB: db }), later)).toMatchObject({ deletedKeys: 0 });
    expect(error.mock.calls.some((c) => String(c[0]).includes("keys.retention_failed"))).toBe(true);
    expect(await deleted(k.id)).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM key_secrets WHERE key_id = ?", k.id)).toBe(1);
    expect(await audit()).toBe(before);

    expect((await sweep(env, later)).deletedKeys).toBeGreaterThanOrEqual(1);
    expect(await deleted(k.id)).toBe(1);
  });
});

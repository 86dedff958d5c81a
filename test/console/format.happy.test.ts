// How the console words times, numbers and states, and what it leaves out of stored JSON.
import { describe, expect, it } from "vitest";
import { absolute, count, displayable, keyState, monthStart, percent, rate, relative, usd } from "../../src/console/format.ts";

const NOW = Date.parse("2026-11-30T12:00:00Z");

describe("console formatting", () => {
  it("says times relative to now, and exactly in UTC", () => {
    expect(relative("2026-11-30T11:59:50Z", NOW)).toBe("just now");
    expect(relative("2026-11-30T11:57:00Z", NOW)).toBe("3 min ago");
    expect(relative("2026-11-30T09:00:00Z", NOW)).toBe("3 h ago");
    expect(relative("2026-12-02T12:00:00Z", NOW)).toBe("in 2 d");
    expect(absolute("2026-11-30T09:05:00.000Z")).toBe("2026-11-30 09:05 UTC");
    expect(monthStart(NOW)).toBe("2026-11-01");
  });

  it("says numbers, money, shares and rates plainly", () => {
    expect(count(1234)).toBe("1,234");
    expect(count(2_500_000)).toBe("2.5M");
    expect(usd(0)).toBe("$0.00");
    expect(usd(0.0002)).toBe("$0.0002");
    expect(usd(12.345)).toBe("$12.35");
    expect(percent(1, 3)).toBe("33.3%");
    expect(percent(0, 0)).toBe("0%");
    expect(rate({ requests: 60, per: "minute" })).toBe("60 / minute");
    expect(rate(null)).toBe("—");
  });

  it("names a key's state, the most final first", () => {
    const k = { deletedAt: null, revokedAt: null, enabled: true, expiresAt: null };
    expect(keyState(k, NOW)).toBe("active");
    expect(keyState({ ...k, enabled: false }, NOW)).toBe("disabled");
    expect(keyState({ ...k, expiresAt: "2026-11-30T11:00:00Z" }, NOW)).toBe("expired");
    expect(keyState({ ...k, enabled: false, revokedAt: "2026-11-01T00:00:00Z" }, NOW)).toBe("revoked");
    expect(keyState({ ...k, revokedAt: "2026-11-01T00:00:00Z", deletedAt: "2026-11-02T00:00:00Z" }, NOW)).toBe("deleted");
  });

  it("shows stored JSON without a secret's prefix or anything key-shaped", () => {
    const shown = displayable({ prefix: "kg_live_4f8Q", hint: "x9Zb", note: ["pasted kg_test_abcdefgh12345678 by mistake"], nested: { prefix: "kg_test_zz" } });
    expect(shown).toEqual({ hint: "x9Zb", note: ["pasted [key] by mistake"], nested: {} });
    expect(JSON.stringify(shown)).not.toMatch(/kg_(live|test)_/);
  });
});

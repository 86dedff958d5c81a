// What a client hears when an open WebSocket ends: the gateway's own codes for a refused message,
// the peer's close passed on, and reasons that fit a close frame (RFC 6455 §5.5: 123 bytes).
import { describe, expect, it } from "vitest";
import { GOING_AWAY, ORIGIN_DROPPED, closeFor, passOn, short } from "../../src/realtime/close-codes.ts";
import { insufficientScope, Problem } from "../../src/core/problem.ts";

const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

/** Closes one end of a real pair with `code` and `reason`; what the other end hears. */
async function sendThrough(code: number, reason: string): Promise<{ code: number; reason: string }> {
  const [a, b] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  a.accept();
  b.accept();
  const heard = new Promise<{ code: number; reason: string }>((resolve) => b.addEventListener("close", (ev) => resolve({ code: ev.code, reason: ev.reason })));
  a.close(code, reason);
  return heard;
}

describe("closeFor: a refused message as the close that ends the connection", () => {
  it("429 is 4029 with the Retry-After in the reason, counted as rate limited", () => {
    const p = new Problem("quota-exceeded", { detail: "Rate limit exceeded.", headers: { "Retry-After": "7" }, extensions: { "violated-policies": ["burst"] } });
    expect(closeFor(p)).toEqual({ code: 4029, reason: "rate limited; retry after 7 s", outcome: "rate_limited", status: 429 });
  });

  it("a monthly quota's 429 is 4029 too, counted as quota exceeded; no Retry-After reads as 1 s", () => {
    const p = new Problem("quota-exceeded", { extensions: { "violated-policies": ["month"] } });
    expect(closeFor(p)).toEqual({ code: 4029, reason: "rate limited; retry after 1 s", outcome: "quota_exceeded", status: 429 });
  });

  it("a key no longer valid is 4001 with the problem's detail, counted by its cause", () => {
    for (const [kind, outcome] of [
      ["revoked-key", "revoked"],
      ["disabled-key", "disabled"],
      ["expired-key", "expired"],
      ["unknown-key", "unknown_key"],
    ] as const) {
      expect(closeFor(new Problem(kind, { detail: `The API key is ${outcome}.` }))).toEqual({ code: 4001, reason: `The API key is ${outcome}.`, outcome, status: 401 });
    }
    expect(closeFor(new Problem("revoked-key")).reason).toBe("the API key is no longer valid");
  });

  it("a scope, resource or network refusal is 4003 with the detail, counted as forbidden", () => {
    expect(closeFor(insufficientScope("realtime", "key_x", "limiter"))).toEqual({
      code: 4003,
      reason: "This operation requires the 'realtime' scope.",
      outcome: "forbidden",
      status: 403,
    });
    expect(closeFor(new Problem("ip-not-allowed")).code).toBe(4003);
    expect(closeFor(new Problem("ip-not-allowed")).reason).toBe("not allowed");
  });

  it("anything else (the limiter unavailable) is 1013, try again later", () => {
    expect(closeFor(new Problem("limiter-unavailable", { headers: { "Retry-After": "1" } }))).toEqual({
      code: 1013,
      reason: "try again later",
      outcome: "gateway_error",
      status: 503,
    });
  });

  it("a long, multi-byte detail is cut to a reason a close frame can carry", async () => {
    const detail = `Der API-Schlüssel wurde gesperrt: ${"ü€😀".repeat(40)}`;
    const refused = closeFor(new Problem("revoked-key", { detail }));
    expect(refused.code).toBe(4001);
    expect(bytes(refused.reason)).toBeLessThanOrEqual(123);
    expect(await sendThrough(refused.code, refused.reason)).toEqual({ code: 4001, reason: refused.reason });
  });
});

describe("passOn: a peer's close as it may be sent on", () => {
  it("1005 (no code given) becomes a plain 1000", () => {
    expect(passOn(1005, "", GOING_AWAY)).toEqual({ code: 1000, reason: "" });
  });

  it("1006 (no close frame) and 1015 (TLS) become the vanished close given", () => {
    expect(passOn(1006, "", ORIGIN_DROPPED)).toBe(ORIGIN_DROPPED);
    expect(passOn(1015, "tls", GOING_AWAY)).toBe(GOING_AWAY);
  });

  it("other codes pass with their reason", () => {
    for (const code of [1000, 1001, 1008, 1011, 3000, 4001, 4003, 4999]) expect(passOn(code, "why", GOING_AWAY)).toEqual({ code, reason: "why" });
  });

  it("a reason too long for the frame is cut", () => {
    const passed = passOn(4000, "ß".repeat(100), GOING_AWAY);
    expect(passed.code).toBe(4000);
    expect(bytes(passed.reason)).toBeLessThanOrEqual(123);
  });

  // A received close frame's code reaches the close event as it is (999, 1004 and 5000 from a raw
  // peer arrive unchanged), but the runtime's close() refuses 1004, 1005, 1006, 1015 and anything
  // outside 1000–4999 (checked below on a real pair). The relay swallows that throw, so the other
  // side would never be closed: a client left open on a dead origin, or an origin socket left open
  // after its link (and so its connection slot) is gone.
  it("whatever code a peer's frame carries, the result is one the runtime can send", async () => {
    const codes = [0, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015, 1016, 2999, 3000, 4000, 4999, 5000, 65535];
    const unsendable: string[] = [];
    for (const code of codes) {
      const passed = passOn(code, "r", ORIGIN_DROPPED);
      try {
        const heard = await sendThrough(passed.code, passed.reason);
        expect(heard.code).toBe(passed.code);
      } catch (err) {
        unsendable.push(`${code} → ${passed.code}: ${String(err)}`);
      }
    }
    expect(unsendable).toEqual([]);
  });
});

describe("short: a close reason within 123 bytes of UTF-8", () => {
  it("leaves a reason of up to 123 bytes as it is", () => {
    for (const r of ["", "bye", "a".repeat(123), "é".repeat(61) + "a", "😀".repeat(30) + "abc"]) {
      expect(bytes(r)).toBeLessThanOrEqual(123);
      expect(short(r)).toBe(r);
    }
  });

  it("cuts a longer one on a character boundary and marks the cut", () => {
    expect(short("a".repeat(124))).toBe(`${"a".repeat(120)}…`);
    expect(bytes(short("a".repeat(1000)))).toBe(123);
  });

  it("never splits a multi-byte character or a surrogate pair", async () => {
    for (const unit of ["é", "€", "😀", "a😀", "👩‍👩‍👧", "e\u0301"]) {
      const long = unit.repeat(80);
      const cut = short(long);
      expect(bytes(cut), unit).toBeLessThanOrEqual(123);
      expect(cut.endsWith("…")).toBe(true);
      expect(long.startsWith(cut.slice(0, -1)), unit).toBe(true);
      expect(new TextDecoder().decode(new TextEncoder().encode(cut)), unit).toBe(cut); // a lone surrogate would not survive
      // As many whole code points as fit: one more would pass 120 bytes.
      const kept = cut.slice(0, -1);
      const next = [...long][[...kept].length]!;
      expect(bytes(kept + next)).toBeGreaterThan(120);
      expect(await sendThrough(4001, cut)).toEqual({ code: 4001, reason: cut });
    }
  });

  it("a cut that falls inside a 4-byte character drops the whole character", () => {
    const r = "a".repeat(118) + "😀" + "bb"; // 118 + 4 + 2 = 124 bytes
    expect(bytes(r)).toBe(124);
    expect(short(r)).toBe(`${"a".repeat(118)}…`);
  });
});

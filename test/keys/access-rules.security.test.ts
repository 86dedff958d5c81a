// The rules core under hostile and random input: parsing never throws and accepts canonical forms
// only, matching agrees with the ranges' arithmetic for IPv4, IPv6 and IPv4-mapped IPv6, deny
// wins, and resource patterns mean exactly what the README says.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientAddress, invalidCidr, networkVerdict, parseCidr, resourceAllowed } from "../../src/keys/access-rules.ts";

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

describe("CIDR parsing", () => {
  it("takes canonical IPv4, IPv6 and mapped forms, and nothing else", () => {
    for (const ok of ["10.0.0.0/8", "0.0.0.0/0", "10.1.2.3", "2001:db8::/32", "::/0", "::1", "::ffff:10.0.0.0/104", "2001:db8::1/128"]) expect(parseCidr(ok), ok).not.toBeNull();
    for (const bad of ["", "10.0.0.0/33", "::/129", "10.1", "010.0.0.1", "10.0.0.0/8/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08x", "fe80::1%eth0", "[::1]", " 10.0.0.0/8", "a".repeat(65), "1.2.3.4/ 8"]) {
      expect(parseCidr(bad), bad).toBeNull();
    }
    expect(invalidCidr(["10.0.0.0/8", "nope", "also-nope"])).toBe("nope");
  });

  it("never throws, whatever the string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -5, max: 200 })).map(([a, b]) => `${a}/${b}`)), (s) => {
        parseCidr(s);
        networkVerdict(s, [{ allowedIps: ["10.0.0.0/8"], deniedIps: [s] }]);
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describe("network verdicts", () => {
  it("agree with IPv4 arithmetic for any address and prefix", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (net, addr, bits) => {
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const inside = ((net & mask) >>> 0) === ((addr & mask) >>> 0);
        const rule = { allowedIps: [`${v4((net & mask) >>> 0)}/${bits}`], deniedIps: null };
        return (networkVerdict(v4(addr), [rule]) === "ok") === inside && (networkVerdict(`::ffff:${v4(addr)}`, [rule]) === "ok") === inside;
      }),
      { numRuns: 2000 },
    );
  });

  it("IPv6 ranges hold their addresses and no IPv4 ones; deny wins at any level", () => {
    const key = { allowedIps: ["2001:db8::/32", "10.0.0.0/8"], deniedIps: ["2001:db8:dead::/48"] };
    const tenant = { allowedIps: null, deniedIps: ["10.66.0.0/16"] };
    expect(networkVerdict("2001:db8:1::1", [key, tenant])).toBe("ok");
    expect(networkVerdict("2001:db8:dead::1", [key, tenant])).toBe("denied");
    expect(networkVerdict("2001:db9::1", [key, tenant])).toBe("not-allowed");
    expect(networkVerdict("10.66.1.1", [key, tenant])).toBe("denied");
    expect(networkVerdict("10.1.1.1", [key, tenant])).toBe("ok");
    expect(networkVerdict(undefined, [key, tenant])).toBe("no-address");
    expect(networkVerdict(undefined, [tenant])).toBe("ok");
    expect(networkVerdict("10.1.1.1", [null, undefined])).toBe("ok");
    // An IPv6 range wider than the mapped block holds IPv4 clients too.
    expect(networkVerdict("1.2.3.4", [{ allowedIps: null, deniedIps: ["::/0"] }])).toBe("denied");
    expect(networkVerdict("1.2.3.4", [{ allowedIps: ["::ffff:0:0/80"], deniedIps: null }])).toBe("ok");
    expect(networkVerdict("1.2.3.4", [{ allowedIps: ["2001:db8::/32"], deniedIps: null }])).toBe("not-allowed");
    // An allowlist at the tenant holds a key with none of its own.
    expect(networkVerdict("192.0.2.1", [{ allowedIps: null, deniedIps: null }, { allowedIps: ["10.0.0.0/8"], deniedIps: null }])).toBe("not-allowed");
  });

  it("a client address is parsed once and only in canonical form", () => {
    expect(clientAddress("10.1.2.3")?.toString()).toBe("10.1.2.3");
    expect(clientAddress("::ffff:10.1.2.3")?.toString()).toBe("10.1.2.3");
    expect(clientAddress("10.1.2")).toBeNull();
    expect(clientAddress("2001:db8::1%eth0")).toBeNull();
  });
});

describe("resource patterns", () => {
  it("exact, trailing-* prefix, absent type (all), empty list (none), never the prototype", () => {
    const r = { agent: ["a_1", "team-*"], flow: [] as string[] };
    expect(resourceAllowed(r, { type: "agent", id: "a_1" })).toBe(true);
    expect(resourceAllowed(r, { type: "agent", id: "a_10" })).toBe(false);
    expect(resourceAllowed(r, { type: "agent", id: "team-" })).toBe(true);
    expect(resourceAllowed(r, { type: "agent", id: "team-x" })).toBe(true);
    expect(resourceAllowed(r, { type: "flow", id: "f" })).toBe(false);
    expect(resourceAllowed(r, { type: "vector_store", id: "vs" })).toBe(true);
    expect(resourceAllowed(null, { type: "agent", id: "x" })).toBe(true);
    expect(resourceAllowed({ agent: ["*"] }, { type: "agent", id: "anything" })).toBe(true);
    for (const type of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(resourceAllowed(r, { type, id: "x" }), type).toBe(true);
  });

  it("a pattern without * never matches a longer id, for any ids", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 5 }), (id, more) => {
        const r = { agent: [id.replace(/\*/g, "")] };
        const exact = r.agent[0]!;
        return !resourceAllowed(r, { type: "agent", id: exact + more.replace(/\*/g, "x") }) || exact === exact + more.replace(/\*/g, "x");
      }),
    );
  });
});

// Client networks come from CF-Connecting-IP, which a client cannot set at Cloudflare's edge but
// can locally: anything that is not a canonical address is "unknown", never an exception.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientNetwork } from "../../src/analytics/network.ts";

describe("client networks", () => {
  it("groups IPv4 by /24 and IPv6 by /48, IPv4-mapped as IPv4", () => {
    expect(clientNetwork("203.0.113.77")).toBe("203.0.113.0/24");
    expect(clientNetwork("2001:db8:7:1::5")).toBe("2001:db8:7::/48");
    expect(clientNetwork("::ffff:203.0.113.9")).toBe("203.0.113.0/24");
    expect(clientNetwork(undefined)).toBe("unknown");
  });

  it("refuses non-canonical and hostile forms", () => {
    for (const s of ["1.2.3", "01.2.3.4", "999.1.1.1", "[::1]", "1.2.3.4, 5.6.7.8", "' OR 1=1 --", "a".repeat(5000)]) expect(clientNetwork(s), s).toBe("unknown");
  });

  it("never throws, and whatever it returns is a network or unknown", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const n = clientNetwork(s);
        return n === "unknown" || /^[\d.]+\/24$/.test(n) || /^[\da-f:]+\/48$/.test(n);
      }),
      { numRuns: 2000 },
    );
  });
});

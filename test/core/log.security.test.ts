// The access log's path: decoded so that scrub() sees a percent-encoded key, one segment at a time
// and without giving up on an escape that does not decode, which would leave the key encoded and
// so invisible to scrub().
import { describe, expect, it } from "vitest";
import { log, loggablePath } from "../../src/core/log.ts";
import { scrub } from "../../src/core/redact.ts";

const KEY = "kg_live_" + "Ab3".repeat(12) + "xy";
const ENCODED = KEY.replace(/_/g, "%5F");

describe("loggablePath", () => {
  it("decodes each segment on its own, so a key is redacted whatever the other segments hold", () => {
    for (const path of [`/v1/echo/${ENCODED}`, `/v1/echo/${ENCODED}/%ZZ`, `/v1/%ZZ/${ENCODED}`, `/v1/echo/${ENCODED}%ZZ`, `/v1/echo/${ENCODED}%C0%AF`, `/v1/echo/${KEY.replace(/_/g, "%255F")}`]) {
      const shown = scrub(loggablePath(new URL("https://gw.test" + path))) as string;
      expect(shown, path).not.toContain(KEY.slice(8));
      expect(shown, path).toContain("[redacted-key]");
    }
  });

  it("keeps what it cannot decode as sent, and never the query", () => {
    expect(loggablePath(new URL("https://gw.test/v1/a%ZZ/caf%C3%A9/%FF?q=1"))).toBe("/v1/a%ZZ/café/%FF");
  });

  it("a line is scrubbed wherever a key or ticket sits: top level, nested, in arrays, in an error's text", () => {
    const lines: string[] = [];
    const real = console.log;
    console.log = (line: string) => void lines.push(line);
    const ticket = "kgt_" + "Zz9_".repeat(10);
    try {
      log("info", "plain", { n: 1, s: "nothing here" });
      log("info", "deep", { a: { b: [{ c: `x ${KEY} y` }] }, error: String(new Error(`bad ${ticket}`)), n: 2 });
    } finally {
      console.log = real;
    }
    expect(JSON.parse(lines[0]!)).toEqual({ level: "info", event: "plain", n: 1, s: "nothing here" });
    expect(lines[1]).not.toContain(KEY.slice(8));
    expect(lines[1]).not.toContain(ticket.slice(4));
    expect(JSON.parse(lines[1]!)).toEqual({ level: "info", event: "deep", a: { b: [{ c: "x [redacted-key] y" }] }, error: "Error: bad [redacted-ticket]", n: 2 });
  });

  it("a log line built from it holds no key", () => {
    const lines: string[] = [];
    const real = console.log;
    console.log = (line: string) => void lines.push(line);
    try {
      log("info", "request", { path: loggablePath(new URL(`https://gw.test/v1/%ZZ/${ENCODED}`)) });
    } finally {
      console.log = real;
    }
    expect(lines.join("\n")).not.toContain(KEY.slice(8));
  });
});

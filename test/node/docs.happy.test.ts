// What the documents promise an origin about forwarded requests, checked against the code: the
// signature lifetime an origin sizes its replay cache by, and the Connection header the Worker
// cannot strip by on Cloudflare.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const DOCS = ["README.md", "SECURITY.md", "origin/README.md"];

describe("the signature lifetime in the documents", () => {
  const ttl = Number(/SIGNATURE_TTL_S = (\d+)/.exec(read("src/proxy/forward.ts"))![1]);

  it("is SIGNATURE_TTL_S wherever it is stated", () => {
    const stated = DOCS.flatMap((file) => {
      const text = read(file).replace(/\s+/g, " ");
      const claims = [
        ...text.matchAll(/(\d+)-second lifetime/g),
        ...text.matchAll(/until `expires` \((\d+) s\)/g),
        ...text.matchAll(/`expires`, (\d+) s after signing/g),
        ...text.matchAll(/valid for (\d+) s\b/g),
      ];
      return claims.map((m) => `${file}: ${m[0]}`);
    });
    expect(stated.length).toBeGreaterThanOrEqual(3);
    expect(stated.filter((s) => !s.includes(String(ttl)))).toEqual([]);
  });
});

describe("hop-by-hop headers in the documents", () => {
  it("say that names listed in Connection are stripped only where the Worker sees Connection, which on Cloudflare it does not", () => {
    const readme = read("README.md").replace(/\s+/g, " ");
    expect(readme).not.toMatch(/hop-by-hop headers \(including those the client's `Connection` names\)/);
    expect(readme).toMatch(/only when the Worker can see that header: on Cloudflare the runtime consumes `Connection` before the Worker runs/);
    expect(read("SECURITY.md").replace(/\s+/g, " ")).not.toMatch(/those the client's `Connection` names/);
  });
});

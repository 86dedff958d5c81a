// The hot path hashes a presented key synchronously (@noble/hashes); minting, sessions and tickets
// use WebCrypto. Both must give the same digest, or a key minted by one is never found by the other.
import { describe, expect, it } from "vitest";
import { hashKey, hashKeySync } from "../../src/keys/hash.ts";
import { generateKey } from "../../src/keys/format.ts";

describe("hashing a key", () => {
  it("gives the same hex digest synchronously and through WebCrypto", async () => {
    const inputs = ["", "a", "é✓ unicode", "x".repeat(1000), ...Array.from({ length: 50 }, () => generateKey(Math.random() < 0.5 ? "live" : "test"))];
    for (const input of inputs) expect(hashKeySync(input), input.slice(0, 20)).toBe(await hashKey(input));
  });

  it("is SHA-256, lowercase hex", () => {
    expect(hashKeySync("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

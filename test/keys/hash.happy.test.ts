// Keys, session tokens and tickets are hashed synchronously (@noble/hashes). Their hashes must be
// WebCrypto's SHA-256, which every key stored before (and the CLI's bootstrap SQL) was made with.
import { describe, expect, it } from "vitest";
import { hashKey, sameDigest } from "../../src/keys/hash.ts";
import { generateKey } from "../../src/keys/format.ts";

describe("hashing a key", () => {
  it("gives the same hex digest synchronously and through WebCrypto", async () => {
    const inputs = ["", "a", "é✓ unicode", "x".repeat(1000), ...Array.from({ length: 50 }, () => generateKey(Math.random() < 0.5 ? "live" : "test"))];
    const webCrypto = async (text: string) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    for (const input of inputs) expect(hashKey(input), input.slice(0, 20)).toBe(await webCrypto(input));
  });

  it("compares digests on every character: equal, one character apart, another length", () => {
    const a = hashKey("a");
    expect(sameDigest(a, hashKey("a"))).toBe(true);
    for (const i of [0, 31, 63]) expect(sameDigest(a, a.slice(0, i) + (a[i] === "0" ? "1" : "0") + a.slice(i + 1)), String(i)).toBe(false);
    expect(sameDigest(a, a.slice(0, 63))).toBe(false);
    expect(sameDigest("", "")).toBe(true);
  });

  it("is SHA-256, lowercase hex", () => {
    expect(hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

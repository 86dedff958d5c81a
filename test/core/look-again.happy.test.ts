// Waiting for another request's work on this request's own timers: what is found is returned as
// soon as it is found, and the wait ends when the work does or after four looks.
import { describe, expect, it } from "vitest";
import { lookAgain } from "../../src/core/look-again.ts";

describe("looking again on one's own timers", () => {
  it("returns what a later look finds", async () => {
    let looks = 0;
    expect(await lookAgain(() => (++looks === 2 ? "found" : undefined), () => true)).toBe("found");
    expect(looks).toBe(2);
  });

  it("stops as soon as the other work is done, having found nothing", async () => {
    let looks = 0;
    expect(await lookAgain(() => void looks++, () => false)).toBeUndefined();
    expect(looks).toBe(1);
  });

  it("gives up after four looks (2 + 4 + 8 + 16 ms)", async () => {
    let looks = 0;
    const started = Date.now();
    expect(await lookAgain(() => void looks++, () => true)).toBeUndefined();
    expect(looks).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});

// A GET or HEAD that carries a body: workerd hands it to the Worker from the network, but no
// Request with GET or HEAD may carry one onward, so a forwarded route refuses it with a 400 before
// anything tries (it was a 500 on an RPC route and a misleading 502 on an HTTP one).
//
// Test code cannot make such a Request (the constructor refuses it), so the stage is called with
// a stand-in for the few parts of the context it reads; everything else about it is real.
import { describe, expect, it } from "vitest";
import { Problem } from "../../../src/core/problem.ts";
import { checkBody } from "../../../src/http/stages/body.ts";

function context(method: string, body: ReadableStream | null) {
  const raw = { method, body, headers: new Headers({ "content-type": "application/json" }) };
  const route = { body: { kind: "forwarded", contentTypes: ["application/json"], maxBytes: 1024 } };
  return { req: { raw, method }, get: (name: string) => (name === "route" ? route : undefined) } as never;
}

describe("a forwarded route's body stage", () => {
  it.each(["GET", "HEAD"])("refuses a %s with a body: 400 bad-request", async (method) => {
    let thrown: unknown;
    let passed = false;
    try {
      await checkBody(context(method, new ReadableStream()), async () => void (passed = true));
    } catch (err) {
      thrown = err;
    }
    expect(passed).toBe(false);
    expect(thrown).toBeInstanceOf(Problem);
    expect((thrown as Problem).status).toBe(400);
    expect((thrown as Problem).kind).toBe("bad-request");
  });

  it("lets a GET without a body through, Content-Type or not", async () => {
    let passed = false;
    await checkBody(context("GET", null), async () => void (passed = true));
    expect(passed).toBe(true);
  });
});

// When Access's certs endpoint fails, people are told to retry (503), not that their token is bad:
// an outage of ours must not read as "sign in again".
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Problem } from "../../src/core/problem.ts";
import { verifyAccessJwt } from "../../src/people/access-jwt.ts";
import { accessToken } from "../support/people.ts";

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (err) {
    return err instanceof Problem ? err.kind : String(err);
  }
}

describe("a certs endpoint that fails", () => {
  it("unreachable, or answering something that is not a key set: 503 access-unavailable", async () => {
    const token = await accessToken("ada@example.com");
    // Nothing listens on the down port; the echo origin answers its own 4xx, not a key set.
    for (const teamDomain of [env.ORIGIN_DOWN_URL, env.ORIGIN_ECHO_URL]) {
      expect(await kindOf(verifyAccessJwt(token, { teamDomain, aud: env.ACCESS_AUD })), teamDomain).toBe("access-unavailable");
    }
  });

  it("the real issuer with a token for another application: 401, not 503", async () => {
    const token = await accessToken("ada@example.com", { aud: "another-app" });
    expect(await kindOf(verifyAccessJwt(token, { teamDomain: env.ACCESS_TEAM_DOMAIN, aud: env.ACCESS_AUD }))).toBe("invalid-access-token");
  });
});

// ACCESS_TEAM_DOMAIN and ACCESS_AUD as an operator may get them wrong: half set, not a URL, a path,
// plain http in production. Each is a refusal of the requests that carry a token, never a way in.
import { describe, expect, it } from "vitest";
import { Problem } from "../../src/core/problem.ts";
import { accessConfig } from "../../src/people/access-jwt.ts";

const kind = (r: ReturnType<typeof accessConfig>) => (r instanceof Problem ? r.kind : r);

describe("accessConfig", () => {
  it("is off when both are empty, on when both are good", () => {
    expect(accessConfig({})).toBeNull();
    expect(accessConfig({ ACCESS_TEAM_DOMAIN: " ", ACCESS_AUD: "" })).toBeNull();
    expect(accessConfig({ ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com/", ACCESS_AUD: "aud", ENVIRONMENT: "production" })).toEqual({ teamDomain: "https://acme.cloudflareaccess.com", aud: "aud" });
    expect(accessConfig({ ACCESS_TEAM_DOMAIN: "http://127.0.0.1:9999", ACCESS_AUD: "aud", ENVIRONMENT: "development" })).toEqual({ teamDomain: "http://127.0.0.1:9999", aud: "aud" });
  });

  it("refuses half a configuration, non-URLs, paths, and plain http in production or off loopback", () => {
    for (const env of [
      { ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com" },
      { ACCESS_AUD: "aud" },
      { ACCESS_TEAM_DOMAIN: "acme", ACCESS_AUD: "aud" },
      { ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com/cdn-cgi", ACCESS_AUD: "aud" },
      { ACCESS_TEAM_DOMAIN: "http://127.0.0.1:9999", ACCESS_AUD: "aud", ENVIRONMENT: "production" },
      { ACCESS_TEAM_DOMAIN: "http://acme.example", ACCESS_AUD: "aud", ENVIRONMENT: "development" },
      { ACCESS_TEAM_DOMAIN: "http://127.0.0.1.evil.example", ACCESS_AUD: "aud", ENVIRONMENT: "development" },
    ]) {
      expect(kind(accessConfig(env)), JSON.stringify(env)).toBe("access-unavailable");
    }
  });
});

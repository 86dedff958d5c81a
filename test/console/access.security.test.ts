// The console behind Cloudflare Access: a genuine person whom keygate does not know gets a page
// saying so, not a JSON problem; a bad token is still refused as the API refuses it.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accessToken, newEmail } from "../support/people.ts";

const open = (path: string, token: string) =>
  exports.default.fetch(new Request(`https://gw.test${path}`, { headers: { "cf-access-jwt-assertion": token }, redirect: "manual" }));

describe("the console for a person Access let in", () => {
  it("who is not an operator: a 403 page that says why, under the page CSP", async () => {
    const res = await open("/console/keys", await accessToken(newEmail("stranger")));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const page = await res.text();
    expect(page).toContain("Not an operator");
    expect(page).toMatch(/not an operator of this gateway/);
  });

  it("with a token that is not good: the API's 401 problem, no page", async () => {
    const res = await open("/console", "forged.token.here");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

// Shared by the console's tests (not a test file itself): signing in through the real form, and
// fetching pages as that browser would (redirects are answers here, not followed).
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE } from "../support/gateway.ts";

export const FORM = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" };
export const KEY_MATERIAL = /kg_(live|test)_/;

/** One request to the Worker; a redirect comes back as the 3xx it is. */
export function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `198.51.100.${Math.floor(Math.random() * 250) + 1}`);
  return exports.default.fetch(new Request(BASE + path, { method: init.method ?? (init.body ? "POST" : "GET"), headers, body: init.body, redirect: "manual" }));
}

/** POST /console/sign-in with a key, as the sign-in form sends it. */
export function postSignIn(key: string, headers: Record<string, string> = FORM): Promise<Response> {
  return request("/console/sign-in", { method: "POST", body: `key=${encodeURIComponent(key)}`, headers });
}

/** Signs in with a key through the form; the session cookie as a Cookie header. */
export async function signIn(key: string): Promise<string> {
  const res = await postSignIn(key);
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get("location")).toBe("/console");
  const setCookie = res.headers.get("set-cookie") ?? "";
  expect(setCookie).toMatch(/HttpOnly/i);
  return setCookie.split(";")[0]!;
}

/** A console page as the signed-in browser gets it. */
export async function page(path: string, cookie: string, headers: Record<string, string> = {}): Promise<{ res: Response; html: string }> {
  const res = await request(path, { headers: { cookie, ...headers } });
  return { res, html: await res.text() };
}

/** The session's CSRF token, as the page hands it to its scripts. */
export function csrfOf(html: string): string {
  const m = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
  expect(m, "csrf meta").not.toBeNull();
  return m![1]!;
}

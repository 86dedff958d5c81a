// Operators in the Worker's tests: tokens from the local Access issuer that test/setup/origins.ts
// runs (the gateway's ACCESS_TEAM_DOMAIN), and operators added through the API with a platform key.
import { env } from "cloudflare:test";
import { accessMinter, type AccessIssuerInfo, type MintOptions } from "./access-issuer.ts";
import { exports } from "cloudflare:workers";
import { BASE, call, json, type Call } from "./gateway.ts";

let minter: ReturnType<typeof accessMinter> | undefined;

/** The issuer's minter (its private keys come from the loopback issuer itself). */
export async function issuer() {
  if (!minter) {
    const res = await fetch(`${env.ACCESS_TEAM_DOMAIN}/__issuer/info`);
    minter = accessMinter((await res.json()) as AccessIssuerInfo);
  }
  return minter;
}

export async function accessToken(email: string, opts: Omit<MintOptions, "email"> = {}): Promise<string> {
  return (await issuer()).mintAccessJwt({ email, ...opts });
}

/** A request as Cloudflare Access forwards it for a signed-in person. */
export async function asPerson(email: string, path: string, opts: Omit<Call, "key"> = {}): Promise<Response> {
  return call(path, { ...opts, headers: { "cf-access-jwt-assertion": await accessToken(email), ...opts.headers } });
}

let counter = 0;
export const newEmail = (who = "op") => `${who}-${Date.now().toString(36)}-${counter++}@example.com`;

export async function addOperator(platform: string, body: { email?: string; role: string; tenantId?: string }): Promise<any> {
  const res = await call("/v1/operators", { key: platform, body: { email: newEmail(), ...body } });
  if (res.status !== 201) throw new Error(`addOperator: ${res.status} ${await res.text()}`);
  return json(res);
}

/** Signs in on the console's form as a browser on this gateway's own page would; answers the cookie pair. */
export async function signIn(key: string, headers: Record<string, string> = {}): Promise<{ res: Response; cookie: string | null }> {
  const res = await formPost("/console/sign-in", { key }, headers);
  const set = res.headers.get("set-cookie");
  return { res, cookie: set ? set.split(";")[0]! : null };
}

/** A form post as a browser on this gateway's page sends it; redirects are not followed (303s are the answer). */
export function formPost(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(BASE + path, {
      method: "POST",
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE, "sec-fetch-site": "same-origin", "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250) + 1}`, ...headers },
    }),
  );
}

/** The CSRF token of the session a cookie names, read from D1 as the console's page would show it. */
export async function csrfOf(cookie: string): Promise<string> {
  const token = cookie.split("=")[1]!;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  const id = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const row = await env.DB.prepare("SELECT csrf FROM console_sessions WHERE id = ?").bind(id).first<{ csrf: string }>();
  if (!row) throw new Error("no such session");
  return row.csrf;
}

// Signing in with a key (locally, without Access) and signing out. The key crosses once, in the
// form's POST body, and is exchanged for a session: the browser keeps only the session cookie, and
// no answer ever echoes the key back.
import type { Context } from "hono";
import { Problem } from "../core/problem.ts";
import type { AppEnv } from "../http/context.ts";
import { fromAnotherSite } from "../http/person.ts";
import { closeSession, openKeySession } from "../http/sessions.ts";
import { sameDigest } from "../keys/hash.ts";
import { readBoundedBody } from "../proxy/body-limit.ts";
import { displayable } from "./format.ts";
import { Bare } from "./layout.tsx";
import { html, signedIn, toSignIn } from "./page.tsx";

/** A key is ~60 characters; anything much bigger is not a sign-in form. */
const MAX_FORM_BYTES = 4096;

const SignInPage = ({ error }: { error?: string }) => (
  <Bare title="Sign in">
    <div class="signin">
      <div class="signin-brand">
        <img src="/assets/console/icon.svg" alt="" width={40} height={40} />
        <span>keygate</span>
      </div>
      <div class="card">
        <h1>Sign in to the console</h1>
        <p class="muted">
          Use an <strong>admin</strong> or <strong>platform</strong> key. It is exchanged for a session of at most 12 hours; the key itself is not kept in your browser.
        </p>
        {error ? (
          <div class="notice notice-bad" role="alert" data-testid="signin-error">
            {error}
          </div>
        ) : null}
        <form method="post" action="/console/sign-in" class="form" data-testid="signin-form">
          <div class="field">
            <label for="signin-key">API key</label>
            <input
              id="signin-key"
              name="key"
              type="password"
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
              required
              autofocus
              aria-describedby="signin-key-hint"
              aria-invalid={error ? "true" : undefined}
              data-testid="signin-key"
            />
            <p class="hint" id="signin-key-hint">
              The key <span class="mono">npm run dev</span> printed, or one from <span class="mono">keygate keys create</span>.
            </p>
          </div>
          <button type="submit" class="btn btn-primary btn-wide" data-testid="signin-submit">
            Sign in
          </button>
        </form>
      </div>
      <p class="muted small">Behind Cloudflare Access you are signed in already: open the console directly.</p>
    </div>
  </Bare>
);

/** One field of a urlencoded form post (what a browser's form sends); null when there is none. */
async function formField(c: Context<AppEnv>, name: string): Promise<string | null | "too-large"> {
  if (Number(c.req.header("content-length") ?? "0") > MAX_FORM_BYTES) return "too-large";
  if (!(c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) return null;
  let body: ArrayBuffer | null;
  try {
    // Read up to the limit, chunked bodies included: a body with no Content-Length is not read whole first.
    body = await readBoundedBody(c.req.raw, MAX_FORM_BYTES);
  } catch (err) {
    if (err instanceof Problem && err.kind === "payload-too-large") return "too-large";
    throw err;
  }
  return new URLSearchParams(body === null ? "" : new TextDecoder().decode(body)).get(name);
}

export async function showSignIn(c: Context<AppEnv>): Promise<Response> {
  if (signedIn(c)) return c.body(null, 303, { Location: "/console", "Cache-Control": "no-store" });
  return html(c, <SignInPage />);
}

export async function signIn(c: Context<AppEnv>): Promise<Response> {
  if (fromAnotherSite(c)) return html(c, <SignInPage error="This sign-in did not come from the console's own page." />, 403);
  const key = await formField(c, "key");
  if (key === "too-large") return html(c, <SignInPage error="That is far too long to be a key." />, 413);
  if (key === null || key.trim() === "") return html(c, <SignInPage error="Enter an admin or platform key." />, 400);
  try {
    const { cookie } = await openKeySession(c, key.trim());
    return c.body(null, 303, { Location: "/console", "Set-Cookie": cookie, "Cache-Control": "no-store" });
  } catch (err) {
    if (err instanceof Problem && err.status < 500) {
      // The problem's own words (problems never quote what was presented), but for a malformed
      // key, whose words spell out the key format: a page names no key material at all.
      const words = err.kind === "malformed-key" ? "That is not a whole keygate key: check that you copied all of it." : String(displayable(err.options.detail ?? err.message));
      return html(c, <SignInPage error={words} />, err.status);
    }
    throw err;
  }
}

export async function signOut(c: Context<AppEnv>): Promise<Response> {
  const session = c.get("session");
  if (!session) return signedIn(c) ? c.body(null, 303, { Location: "/cdn-cgi/access/logout", "Cache-Control": "no-store" }) : toSignIn(c);
  const csrf = await formField(c, "csrf");
  if (fromAnotherSite(c) || typeof csrf !== "string" || csrf === "too-large" || !sameDigest(csrf, session.csrf)) {
    return html(
      c,
      <Bare title="Sign-out refused">
        <div class="card narrow">
          <h1>Sign-out refused</h1>
          <p>The request did not carry this session's token. Use the Sign out button in the console.</p>
          <p>
            <a href="/console">Back to the console</a>
          </p>
        </div>
      </Bare>,
      403,
    );
  }
  const { cookie } = await closeSession(c);
  return c.body(null, 303, { Location: "/console/sign-in", "Set-Cookie": cookie, "Cache-Control": "no-store" });
}

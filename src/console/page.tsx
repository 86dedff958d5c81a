// What every console page does before and after its own part: nobody signed in → the sign-in page;
// who is looking (GET /v1/auth/me); the page inside the layout; an API refusal shown as a page with
// its status; and the headers every console response carries.
import type { Context, Handler } from "hono";
import type { Child } from "hono/jsx";
import { PROBLEMS } from "../core/problem.ts";
import type { AppEnv } from "../http/context.ts";
import type { Principal } from "../keys/verify.ts";
import type { Dispatch } from "../http/in-process.ts";
import { ApiProblem, callApi, type Api } from "./api.ts";
import { Notice } from "./components/ui.tsx";
import { Bare, Layout, type NavId } from "./layout.tsx";
import type { Me } from "./types.ts";
import { viewerOf, type Viewer } from "./viewer.ts";

/** Scripts and styles from the Worker's own origin only; no inline script, no inline style. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export type PageCtx = { c: Context<AppEnv>; api: Api; viewer: Viewer; me: Me; url: URL; now: number };
export type PageResult = { title: string; nav: NavId; body: Child; charts?: boolean; actions?: Child; lead?: Child; status?: number };
export type PageFn = (p: PageCtx) => Promise<PageResult>;

type Renderable = { toString(): string | Promise<string> };

/** An HTML document; never cached (it shows a signed-in person's data). */
export async function html(c: Context<AppEnv>, node: unknown, status = 200): Promise<Response> {
  const body = "<!doctype html>" + (await (node as Renderable).toString());
  return c.body(body, status as 200, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONSOLE_CSP,
  });
}

export const signedIn = (c: Context<AppEnv>) => (c.get("principal") as Principal | undefined) !== undefined;

export function toSignIn(c: Context<AppEnv>): Response {
  return c.body(null, 303, { Location: "/console/sign-in", "Cache-Control": "no-store" });
}

/** A page of the console: its own part is `fn`; everything around it is here. */
export function page(app: Dispatch, fn: PageFn): Handler<AppEnv> {
  return async (c) => {
    const refused = c.get("personRefused");
    if (refused) return html(c, <Refused problem={new ApiProblem(refused.status, PROBLEMS[refused.kind].title, refused.message)} />, refused.status);
    if (!signedIn(c)) return toSignIn(c);
    const api: Api = (method, path, body) => callApi(app, c, method, path, body);
    const me = await api<Me>("GET", "/v1/auth/me");
    if (me instanceof ApiProblem) {
      if (me.status === 401) return toSignIn(c);
      return html(c, <Refused problem={me} />, me.status);
    }
    const viewer = viewerOf(me, c.get("session"));
    try {
      const r = await fn({ c, api, viewer, me, url: new URL(c.req.url), now: Date.now() });
      return html(
        c,
        <Layout title={r.title} viewer={viewer} nav={r.nav} charts={r.charts} actions={r.actions} lead={r.lead}>
          {r.body}
        </Layout>,
        r.status ?? 200,
      );
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      return html(
        c,
        <Layout title={err.status === 404 ? "Not found" : err.title} viewer={viewer} nav="none">
          <Notice title={`${err.status} ${err.title}.`} detail={err.detail} tone={err.status >= 500 ? "bad" : "warn"} />
          <p>
            <a href="/console">Back to the overview</a>
          </p>
        </Layout>,
        err.status,
      );
    }
  };
}

/** Signed in, but the API refuses even to say who this is (e.g. an operator role it does not know). */
const Refused = ({ problem }: { problem: ApiProblem }) => (
  <Bare title={problem.title}>
    <div class="card narrow">
      <h1>{problem.title}</h1>
      <p>{problem.detail}</p>
      <p>
        <a href="/console/sign-in">Sign in with another key</a>
      </p>
    </div>
  </Bare>
);

// The console reads only through the /v1 API, dispatched in-process as the caller (the person the
// page resolved, handed over with each request): a page can never show or do more than the same
// person could with curl (tenant confinement, a viewer's read-only role and every scope check stay
// the API's, in one place).
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { handOver, type Dispatch } from "../http/in-process.ts";

/** An answer of the API that was not a success, as its problem+json said it. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  constructor(status: number, title: string, detail: string, type = "about:blank") {
    super(detail);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type;
  }
}

/**
 * Reads only. A page is rendered for a GET, which any site can make a browser send: a write made
 * while rendering would be a write another site could trigger. Writes go from the page's scripts
 * to the API, with the session's CSRF token.
 */
export type Method = "GET";
export type Api = <T>(method: Method, path: string, body?: unknown) => Promise<T | ApiProblem>;

// Where the caller comes from (the per-IP failure filter and network rules must see the browser's
// address, not the Worker's). Who the caller is goes with the request itself (handOver below),
// never as a credential: the call carries no cookie and no Access token.
const PASSED_ON = ["cf-connecting-ip", "user-agent"];

/** One API call on behalf of the console's caller; a refusal comes back as an ApiProblem. */
export async function callApi<T>(app: Dispatch, c: Context<AppEnv>, method: Method, path: string, body?: unknown): Promise<T | ApiProblem> {
  const headers = new Headers({ accept: "application/json" });
  for (const name of PASSED_ON) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers.set("content-type", "application/json");
  }
  const request = new Request(new URL(path, c.req.url), { method, headers, body: payload });
  // The page resolved its person once (console-person stage); its calls reuse that, not the cookie.
  handOver(request, { principal: c.get("principal"), session: c.get("session") });
  const res = await app.fetch(request, c.env, c.executionCtx);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON: only a fault of ours answers that way; say so without echoing it.
  }
  if (res.ok) return parsed as T;
  const p = (parsed ?? {}) as { title?: unknown; detail?: unknown; type?: unknown };
  return new ApiProblem(
    res.status,
    typeof p.title === "string" ? p.title : "Request failed",
    typeof p.detail === "string" ? p.detail : `The API answered ${res.status}.`,
    typeof p.type === "string" ? p.type : undefined,
  );
}

/** The value, or the refusal thrown for the page to show (its status becomes the page's). */
export function must<T>(result: T | ApiProblem): T {
  if (result instanceof ApiProblem) throw result;
  return result;
}

/** A query string from the defined, non-empty values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}

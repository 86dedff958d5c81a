// The admin API over HTTP. Errors come back as problem+json (RFC 9457); the client turns them,
// and an unreachable gateway, into typed errors that run() maps to exit codes.
import type { Io } from "./io.ts";

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const USER_AGENT = "keygate-cli/0.1.0";

export type Problem = {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
};

/** The gateway answered with a 4xx/5xx (or something that is not the API's JSON). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly requestId: string | undefined;
  readonly raw: string;
  constructor(status: number, problem: Problem, requestId: string | undefined, raw: string) {
    super(problem.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.requestId = requestId;
    this.raw = raw;
  }
}

/** No HTTP answer at all: connection refused, DNS, TLS, timeout. */
export class UnreachableError extends Error {
  readonly url: string;
  constructor(url: string, err: unknown) {
    // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is its cause.
    const inner = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const code = inner && "code" in inner && typeof inner.code === "string" ? inner.code : undefined;
    const base = err instanceof Error ? err.message : String(err);
    super(inner ? `${base} (${code ?? inner.message})` : base);
    this.name = "UnreachableError";
    this.url = url;
  }
}

/** The CLI's environment is missing something it needs (the admin key). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Query = Record<string, string | undefined>;

export type ApiResult<T> = { body: T; raw: string; requestId: string | undefined };

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export class ApiClient {
  readonly base: string;
  private readonly adminKey: string;
  private readonly fetch: Io["fetch"];

  constructor(base: URL, adminKey: string, fetch: Io["fetch"]) {
    this.base = base.href.replace(/\/+$/, "");
    this.adminKey = adminKey;
    this.fetch = fetch;
  }

  /** True when the admin key would travel unencrypted to another machine. */
  get insecure(): boolean {
    const url = new URL(this.base);
    return url.protocol === "http:" && !LOOPBACK.has(url.hostname) && !url.hostname.endsWith(".localhost");
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; query?: Query } = {}): Promise<ApiResult<T>> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    const url = `${this.base}${path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.adminKey}`,
      Accept: "application/json, application/problem+json",
      "User-Agent": USER_AGENT,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["Content-Type"] = "application/json";
    }
    let res: Response;
    let raw: string;
    try {
      res = await this.fetch(url, { method, headers, body, redirect: "manual" });
      raw = await res.text();
    } catch (err) {
      throw new UnreachableError(this.base, err);
    }
    const requestId = res.headers.get("x-request-id") ?? undefined;
    let parsed: unknown;
    try {
      parsed = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status > 299) {
      const problem: Problem =
        parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
          ? (parsed as Problem)
          : { title: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, detail: snippet(raw) };
      throw new ApiError(res.status, problem, problem.request_id ?? requestId, raw);
    }
    // 204 No Content (DELETE /v1/operators/{id}): success that has nothing to say.
    if (res.status === 204) return { body: undefined as T, raw, requestId };
    if (parsed === undefined) {
      throw new ApiError(
        res.status,
        { title: "Unexpected response", detail: `Expected JSON from ${url}, got: ${snippet(raw) || "(empty body)"}` },
        requestId,
        raw,
      );
    }
    return { body: parsed as T, raw, requestId };
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** The gateway URL: --url, else KEYGATE_URL, else the local dev server. */
export function gatewayUrl(flag: string | undefined, env: Io["env"]): URL | string {
  const value = flag ?? (env.KEYGATE_URL || undefined) ?? DEFAULT_URL;
  const source = flag !== undefined ? "--url" : env.KEYGATE_URL ? "KEYGATE_URL" : "default";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${source} is not a URL: '${value}'`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${source} must be an http(s) URL, got '${value}'`;
  if (url.username || url.password) return `${source} must not contain credentials`;
  if (url.search || url.hash) return `${source} must not have a query string or fragment`;
  return url;
}

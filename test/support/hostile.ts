// Shared by the hardening suites (not a test file): the invariants every response must keep,
// a cheap D1 write detector, log capture, and the hostile-input generators the fuzz files combine.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { expect, vi } from "vitest";
import { PROBLEM_BASE, PROBLEMS, problemType, type ProblemKind } from "../../src/core/problem.ts";
import { BASE62 } from "../../src/core/base62.ts";
import { checksumOf } from "../../src/keys/format.ts";
import { hashKey } from "../../src/keys/hash.ts";
import { memory } from "../../src/keys/lookup.ts";
import { BASE, call, createKey, platformKey, tenantWithAdmin } from "./gateway.ts";

// ---------------------------------------------------------------------------------------------
// The documented answers

/** Every problem type the gateway may send, with its status: src/http/problem.ts's catalogue
 * (keygate's own types and the IANA quota / reduced-capacity ones). */
export const PROBLEM_STATUS: ReadonlyMap<string, number> = new Map(
  (Object.keys(PROBLEMS) as ProblemKind[]).map((k) => [problemType(k), PROBLEMS[k].status]),
);

/**
 * Routes whose 5xx answers are documented behaviour of the test origins, not faults: those of the
 * route table that point at a closed port or time out on purpose, and the echo origin's special
 * paths. The fuzzers stay off them (tests of their own assert the documented types). Matched on
 * the path as sent and decoded.
 */
function faultRoutes(): string[] {
  const table = (env.PROXY_ROUTES as unknown as { path: string; origin?: string; timeoutMs?: number }[] | undefined) ?? [];
  const deliberate = table.filter((r) => r.origin === "ORIGIN_DOWN_URL" || (r.timeoutMs ?? 10_000) < 1000).map((r) => r.path);
  return [...deliberate, "/v1/echo/slow", "/v1/echo/reset", "/v1/echo/status", "/v1/ingest-slow"];
}

export function isFaultRoute(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURI(path);
  } catch {
    /* keep it raw */
  }
  const routes = faultRoutes();
  return [path, decoded].some((p) => routes.some((r) => p === r || p.startsWith(r + "/")));
}

/** Anything that would betray an implementation: stack frames, source paths, runtime error names,
 * SQL and driver messages. */
const INTERNALS =
  /\n\s+at |\bat [\w.<>$]+ \(|\.(?:ts|js|mjs):\d+|"stack"|\b(?:TypeError|RangeError|ReferenceError|SyntaxError|InternalError)\b|D1_ERROR|SQLITE_|sqlite|drizzle|Failed query|node_modules|\/work\/|file:\/\/|workerd/i;

// ---------------------------------------------------------------------------------------------
// Clients

let ipSeq = 0;
const ipSalt = Math.floor(Math.random() * 0xffff).toString(16);
/** A client address no other request of this run uses (the per-IP failure filter counts per address). */
export function freshIp(): string {
  return `fd00:${ipSalt}::${(ipSeq++).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// Observing the Worker

/** Everything the Worker logs, kept in memory (and away from vitest's console RPC, which would
 * otherwise cost more than the requests themselves). Returns the lines and the real console.error. */
export function captureLogs(): { lines: string[]; print: (...a: unknown[]) => void } {
  const print = console.error.bind(console);
  const lines: string[] = [];
  for (const m of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, m).mockImplementation((...a: unknown[]) => {
      lines.push(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" "));
    });
  }
  return { lines, print };
}

/** Tables and what changes in them: a count plus columns every write moves (updated_at…). */
const WATCHED: Record<string, string> = {
  tenants: "count(*) || ':' || total(updated_at) || ':' || total(active)",
  api_keys: "count(*) || ':' || total(updated_at) || ':' || total(enabled) || ':' || total(coalesce(revoked_at, 0))",
  key_secrets: "count(*) || ':' || total(coalesce(expires_at, 0))",
  // Security events (key.used_while_revoked …) are flushed by the key's object like usage, below.
  audit_log: "total(action NOT LIKE '%.used_while_%')",
  alert_rules: "count(*) || ':' || total(updated_at)",
  alert_events: "count(*)",
  jobs: "count(*) || ':' || total(updated_at)",
  idempotency_keys: "count(*) || ':' || total(created_at) || ':' || total(state = 'done')",
  operators: "count(*) || ':' || total(updated_at)",
  console_sessions: "count(*) || ':' || total(coalesce(ended_at, 0))",
};
/**
 * Not compared per request, and why: usage_daily / usage_flushes (and api_keys.last_used_at /
 * total_requests, which WATCHED leaves out) are written by each key's Durable Object from an
 * alarm ~10-15 s after the traffic, so a flush lands at a moment unrelated to the request being
 * checked; and rejected *authenticated* requests are counted there on purpose (status4xx, refused).
 * The analytics rollups are written the same way, and for requests without a key by each isolate
 * in batches (src/analytics/keyless.ts), counting every failure on purpose.
 */
export const UNWATCHED_TABLES = ["usage_daily", "usage_flushes", "analytics_minute", "analytics_hour", "analytics_day", "auth_failure_networks"];
const INTERNAL_TABLES = ["d1_migrations", "sqlite_sequence", "_cf_METADATA", "_cf_KV"];

const SNAPSHOT_SQL = `SELECT ${Object.entries(WATCHED)
  .map(([t, expr]) => `(SELECT ${expr} FROM "${t}") AS "${t}"`)
  .join(", ")}`;

export type D1Snapshot = Record<string, string>;

export async function d1Snapshot(): Promise<D1Snapshot> {
  return (await env.DB.prepare(SNAPSHOT_SQL).first<D1Snapshot>())!;
}

/** Fails when a migration adds a table this file does not know how to watch. */
export async function expectEveryTableWatched(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
  const known = new Set([...Object.keys(WATCHED), ...UNWATCHED_TABLES, ...INTERNAL_TABLES]);
  const unknown = results.map((r) => r.name).filter((n) => !known.has(n));
  expect(unknown, "a new table: add it to WATCHED in test/support/hostile.ts").toEqual([]);
}

export function changedTables(before: D1Snapshot, after: D1Snapshot): string[] {
  return Object.keys(WATCHED).filter((t) => before[t] !== after[t]);
}

// ---------------------------------------------------------------------------------------------
// One hostile request and its checks

export type Case = {
  method: string;
  /** Path and query exactly as the client writes them (the URL parser may normalise them). */
  target: string;
  headers: [string, string][];
  body?: string | Uint8Array | null;
  /** A note for the failure report. */
  label?: string;
};

export type Checks = {
  /** Key material the test created; none of it may come back in a response or a log line. */
  secrets: readonly string[];
  /** D1 tables a request may change even when it is refused (see the callers for why). */
  mayWriteWhenRefused?: (c: Case, res: Response, body: string) => string[];
  /** Extra assertions for one response; `changed` lists the D1 tables it changed. */
  extra?: (c: Case, res: Response, body: string, changed: string[]) => void | Promise<void>;
};

export type Stats = {
  sent: number;
  unsendable: number;
  why: Map<string, number>;
  byStatus: Map<number, number>;
  byType: Map<string, number>;
  knownBugs: Map<string, number>;
};
export const newStats = (): Stats => ({ sent: 0, unsendable: 0, why: new Map(), byStatus: new Map(), byType: new Map(), knownBugs: new Map() });

/**
 * Bugs already reported, each with an it.fails test of its own (named in the comment), so that the
 * fuzzers keep checking everything else meanwhile. Remove an entry when its bug is fixed.
 */
function knownBug(problem: Record<string, unknown>): string | null {
  void problem; // none open: add an entry (with its failing test's name) when one is found
  return null;
}

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(",");
const ARRAY_PROTO_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join(",");

/** The request as the client would build it, or the reason the Fetch API itself refuses it. */
export function buildRequest(c: Case, ip = freshIp()): Request | string {
  try {
    const headers = new Headers();
    for (const [name, value] of c.headers) headers.append(name, value);
    if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", ip);
    const bodiless = ["GET", "HEAD"].includes(c.method.toUpperCase());
    const body = bodiless ? undefined : (c.body ?? undefined);
    return new Request(BASE + c.target, { method: c.method, headers, body });
  } catch (err) {
    return String(err).slice(0, 80);
  }
}

export class Harness {
  last: D1Snapshot | null = null;
  readonly stats = newStats();
  private logCursor = 0;
  private readonly checks: Checks;
  private readonly logs: { lines: string[] };
  constructor(checks: Checks, logs: { lines: string[] }) {
    this.checks = checks;
    this.logs = logs;
    this.logCursor = logs.lines.length;
  }

  /** Sends one case through the Worker's real entry point and checks every invariant. */
  async run(c: Case): Promise<Response | null> {
    const req = buildRequest(c);
    if (typeof req === "string") {
      this.stats.unsendable++;
      this.stats.why.set(req, (this.stats.why.get(req) ?? 0) + 1);
      return null;
    }
    this.last ??= await d1Snapshot();
    const before = this.last;
    const res = await exports.default.fetch(req);
    // Every D1 write of a request is awaited before its response exists (only KV fills and usage
    // reports run after, in waitUntil), so the snapshot may be taken while the body is read.
    const [body, after] = await Promise.all([
      c.method.toUpperCase() === "HEAD" ? "" : res.text().catch(() => "<stream error>"),
      d1Snapshot(),
    ]);
    this.last = after;
    this.stats.sent++;
    this.stats.byStatus.set(res.status, (this.stats.byStatus.get(res.status) ?? 0) + 1);
    // Plain checks on the hot path (tens of thousands per run); expect() only to report a failure.
    const where = () => `${c.label ?? ""} ${c.method} ${c.target.slice(0, 200)} → ${res.status} ${body.slice(0, 300)}`;
    const check = (ok: boolean, what: string) => {
      if (!ok) expect.fail(`${what}: ${where()}`);
    };

    // Never a 5xx: the routes whose 5xx are documented gateway answers are not fuzzed here.
    check(res.status < 500, "a 5xx");
    const requestId = res.headers.get("x-request-id");
    check(!!requestId, "no X-Request-Id");
    check(res.headers.get("x-content-type-options") === "nosniff", "no secure headers");

    const passThrough = isOriginAnswer(res);
    if (res.status >= 400 && !passThrough) {
      check(/^application\/problem\+json/.test(res.headers.get("content-type") ?? ""), "an error that is not problem+json");
      if (c.method.toUpperCase() !== "HEAD") {
        let problem: Record<string, unknown> = {};
        try {
          problem = JSON.parse(body) as Record<string, unknown>;
        } catch {
          check(false, "a problem body that is not JSON");
        }
        const type = String(problem.type);
        check(PROBLEM_STATUS.get(type) === res.status, `undocumented problem type ${type} for this status`);
        check(typeof problem.title === "string" && typeof problem.detail === "string", "a problem without title or detail");
        check(String(problem.instance).startsWith("/"), "a problem without instance");
        // A replayed Idempotency-Key answer is the first response, request id included.
        if (res.headers.get("idempotent-replayed") !== "true") check(problem.request_id === requestId, "request_id is not X-Request-Id");
        this.stats.byType.set(type, (this.stats.byType.get(type) ?? 0) + 1);
        const bug = knownBug(problem);
        if (bug) this.stats.knownBugs.set(bug, (this.stats.knownBugs.get(bug) ?? 0) + 1);
        else check(problem.status === res.status, "problem.status is not the HTTP status");
      }
      if (res.status === 401) check((res.headers.get("www-authenticate") ?? "").startsWith('Bearer realm="keygate"'), "a 401 without the Bearer challenge");
      check(!INTERNALS.test(body), "internal detail in an error body");
    }
    let headerText = "";
    for (const [n, v] of res.headers) headerText += `${n}: ${v}\n`;
    check(!/\n\s+at |\.(?:ts|js):\d+|D1_ERROR|TypeError/.test(headerText), "internal detail in headers");

    // No key material anywhere the client (or a log reader) can see.
    for (const s of this.checks.secrets) check(!body.includes(s) && !headerText.includes(s), "key material echoed");
    for (let i = this.logCursor; i < this.logs.lines.length; i++) {
      const line = this.logs.lines[i]!;
      for (const s of this.checks.secrets) if (line.includes(s)) expect.fail(`key material logged: ${line.slice(0, 300)}`);
      // An unhandled error is a 500 somewhere, even if this response looked fine.
      if (line.includes('"event":"unhandled"')) expect.fail(`unhandled error logged: ${line.slice(0, 500)}`);
    }
    this.logCursor = this.logs.lines.length;

    // Nothing written to D1 for a refused request.
    const changed = changedTables(before, after);
    if (res.status >= 400 && changed.length > 0) {
      const allowed = this.checks.mayWriteWhenRefused?.(c, res, body) ?? [];
      const unexpected = changed.filter((t) => !allowed.includes(t));
      check(unexpected.length === 0, `D1 written for a refused request (${unexpected.join(", ")})`);
    }

    // Hostile JSON (__proto__, constructor.prototype) polluted nothing in this isolate.
    check(({} as Record<string, unknown>).polluted === undefined && ([] as unknown as Record<string, unknown>).polluted === undefined, "prototype polluted");
    if (this.stats.sent % 50 === 0) {
      check(Object.getOwnPropertyNames(Object.prototype).sort().join(",") === PROTO_NAMES, "Object.prototype changed");
      check(Object.getOwnPropertyNames(Array.prototype).sort().join(",") === ARRAY_PROTO_NAMES, "Array.prototype changed");
    }

    await this.checks.extra?.(c, res, body, changed);
    return res;
  }

  summary(): string {
    const statuses = [...this.stats.byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ");
    const types = [...this.stats.byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t.replace(/^.*[/#]/, "")}×${n}`).join(" ");
    const why = [...this.stats.why].map(([w, n]) => `${w}×${n}`).join(" | ");
    const bugs = [...this.stats.knownBugs].map(([b, n]) => `${b}×${n}`).join(" | ");
    return `sent ${this.stats.sent}, unsendable ${this.stats.unsendable}${why ? ` (${why})` : ""}; ${statuses}; ${types}${bugs ? `; KNOWN BUGS: ${bugs}` : ""}`;
  }
}

/** An answer of an origin passed through unchanged (the test origins mark theirs). */
export function isOriginAnswer(res: Response): boolean {
  return res.headers.get("x-origin") === "echo" || /python/i.test(res.headers.get("server") ?? "");
}

// ---------------------------------------------------------------------------------------------
// Generators

const base62Char = fc.constantFrom(...BASE62.split(""));
export const base62 = (min: number, max: number) => fc.string({ unit: base62Char, minLength: min, maxLength: max });

/** A key with a correct checksum that keygate never issued. */
export const unknownKeyArb = fc
  .tuple(fc.constantFrom("live", "test"), base62(32, 32))
  .map(([e, r]) => {
    const head = `kg_${e}_${r}`;
    return head + checksumOf(head);
  });

/** A header value the Fetch API accepts: no NUL, CR or LF. Non-ASCII characters travel as their
 * UTF-8 bytes (workerd encodes them so, with a warning on stderr; the fuzzers keep them rare). */
export function asHeaderValue(s: string): string {
  return s.replace(/[\0\r\n]/g, "");
}

const CONTROL = fc.constantFrom("\x01", "\x07", "\x08", "\t", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f");
export const UNICODE = fc.constantFrom("é", "ß", "İ", "ｋ", "\u200b", "\u202e", "\ufeff", "😀", "𝕜", "\u0301", "Ω", "\x85", "\xa0", "\xff");

/** Keys a client might send, honest or not: wrong prefix, wrong checksum, huge, control characters,
 * real keys slightly changed; with `unicode`, also non-ASCII ones. */
export function hostileKeyArb(real: readonly string[], opts: { unicode?: boolean } = {}): fc.Arbitrary<string> {
  const odd = opts.unicode ? fc.oneof(CONTROL, UNICODE) : CONTROL;
  const validHead = fc.tuple(fc.constantFrom("live", "test"), base62(32, 32)).map(([e, r]) => `kg_${e}_${r}`);
  const realKey = real.length > 0 ? fc.constantFrom(...real) : unknownKeyArb;
  return fc.oneof(
    { weight: 4, arbitrary: unknownKeyArb },
    { weight: 2, arbitrary: realKey }, // as issued: the refused states, and a valid key among hostile headers
    { weight: 2, arbitrary: validHead.chain((h) => base62(6, 6).map((c) => h + c)) }, // checksum almost surely wrong
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom("kg_prod_", "KG_LIVE_", "kg-live-", "sk_live_", "kg_live", "kg__", "kg_live_kg_live_", "", "kg_test-"), base62(0, 60))
        .map(([p, r]) => p + r),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(realKey, fc.nat(45), fc.oneof(odd, base62(1, 1))).map(([k, i, ch]) => k.slice(0, i) + ch + k.slice(i + 1)),
    },
    { weight: 1, arbitrary: fc.tuple(realKey, fc.nat(46)).map(([k, n]) => k.slice(0, n)) }, // truncated
    { weight: 1, arbitrary: realKey.map((k) => k.toUpperCase()) },
    { weight: 1, arbitrary: fc.tuple(realKey, odd).map(([k, ch]) => k + ch) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65, max: 20_000 }), base62Char).map(([n, ch]) => "kg_live_" + ch.repeat(n)) }, // huge
    { weight: 1, arbitrary: fc.string({ unit: opts.unicode ? "binary" : "binary-ascii", maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.oneof(odd, base62Char), maxLength: 60 }) },
  );
}

/** encodeURIComponent, also for strings with lone surrogates (which it refuses). */
export function encode(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));
}

/** Path segments that try to escape, smuggle or confuse a route parameter. */
export const hostileSegmentArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "..",
    "%2e%2e",
    "%2E%2E%2F..%2Ftenants",
    "..%2F..%2Fv1%2Ftenants",
    "%2F",
    "%00",
    "%ff",
    "%c0%af",
    "%E2%80%AE",
    "%252F",
    "%",
    "%zz",
    ";jsessionid=1",
    "key_AAAAAAAA%00",
    "key_AAAAAAAA;x",
    "key_AAAAAAAA/../../tenants",
    " ",
    "%20",
    "~",
    "*",
    "%3Cscript%3E",
    "'%20OR%201=1--",
    "\u00e9",
    "\u202e",
    "😀",
    "{id}",
    ":id",
    "null",
    "undefined",
    "__proto__",
    "constructor",
  ),
  fc.tuple(fc.constantFrom("key_", "ten_", "job_", "aud_", "KEY_", "key-", ""), base62(0, 50)).map(([p, r]) => p + r),
  base62(100, 3000),
  fc.string({ unit: "binary", maxLength: 30 }).map(encode),
  fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
);

const QUERY_NAMES = ["limit", "cursor", "status", "tenantId", "enabled", "revoked", "environment", "targetId", "action", "from", "to", "active", "q", "api_key", "access_token", "API_KEY", "x-api-key", "__proto__", "constructor", "limit[]", ""];

const queryValueArb = (real: readonly string[]) =>
  fc.oneof(
    fc.constantFrom("1", "0", "-1", "100", "101", "1e3", "NaN", "Infinity", "true", "false", "TRUE", "", "null", "[]", "{}", "pending", "2026-02-30", "2026-01-01", "9999-12-31", "0000-00-00"),
    fc.integer().map(String),
    base62(0, 300),
    fc.string({ unit: "binary", maxLength: 40 }),
    hostileSegmentArb,
    real.length > 0 ? fc.constantFrom(...real) : base62(1, 5),
  );

/** A query string: repeated names, credential-looking names, encodings, nothing at all. */
export function queryArb(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant("") },
    {
      weight: 5,
      arbitrary: fc
        .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), base62(1, 10)), queryValueArb(real)), { maxLength: 5 })
        .map((pairs) => (pairs.length === 0 ? "?" : "?" + pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&"))),
    },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 60 }).map((s) => "?" + s.replace(/#/g, "")) },
  );
}

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "get", "post", "patch", "PURGE", "MKCOL"];
export const methodArb = fc.constantFrom(...METHODS);

export const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/problem+json",
  "application/merge-patch+json",
  "application/vnd.api+json",
  "text/plain",
  "text/json",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json, text/plain",
  "application/jsonp",
  "application/json;;;",
  " application/json ",
  "json",
  "application/json\x01",
  "application/json\x7f",
  "",
];
export const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }).map(asHeaderValue) },
);

/** Raw JSON text shaped by a schema: mostly close to valid, sometimes wrong in type, size or form. */
export function jsonBodyArb(schema: unknown, doc: unknown): fc.Arbitrary<string> {
  const shaped = valueArb(schema, doc, 0).map((v) => JSON.stringify(v) ?? "null");
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    // Duplicated members, prototype-pollution keys and unknown members, written as raw text.
    {
      weight: 3,
      arbitrary: fc
        .tuple(shaped, fc.array(fc.tuple(memberNameArb(schema, doc), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))), { minLength: 1, maxLength: 3 }))
        .map(([text, members]) => injectMembers(text, members)),
    },
    { weight: 1, arbitrary: fc.constant(`{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`) },
    { weight: 2, arbitrary: deepJsonArb(schema, doc) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: malformedJsonArb },
    { weight: 1, arbitrary: hugeJsonArb },
  );
}

const malformedJsonArb = fc.oneof(
  fc.constantFrom("", "{", "}", "[", "{]", '{"a":}', "{'a':1}", '{"a":1,}', "nul", "NaN", "undefined", '{"a":1}{"b":2}', "\ufeff{}", '"\\ud800"', '{"a":"\\u0000"}', "1e99999", "-", "[1,2", '{"__proto__":'),
  fc.string({ unit: "binary", maxLength: 200 }),
);

/** Around the 64 KiB admin limit, and past a forwarded route's. */
const hugeJsonArb = fc.constantFrom(65_536 - 20, 65_536 + 1, 300_000).map((n) => JSON.stringify({ name: "x".repeat(n) }));

/** Nesting that a recursive parser, validator or serialiser may not survive, alone or as one
 * member of an otherwise valid object (so that validation lets it through to the handler). */
function deepJsonArb(schema: unknown, doc: unknown): fc.Arbitrary<string> {
  const s = deref(schema, doc);
  const names = Object.keys(s.properties ?? {});
  return fc
    .tuple(fc.integer({ min: 100, max: 30_000 }), fc.constantFrom("[", "{"), fc.option(fc.constantFrom(...(names.length ? names : ["x"]))))
    .map(([depth, open, field]) => {
      const deep = open === "[" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
      if (!field) return deep;
      const base = minimalValid(s, doc);
      delete base[field];
      const rest = JSON.stringify(base).slice(1, -1);
      return `{${rest ? rest + "," : ""}${JSON.stringify(field)}:${deep}}`;
    });
}

/** The smallest object the schema accepts, as far as a generic reading of it can tell. */
function minimalValid(s: Schema, doc: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of s.required ?? []) {
    const p = deref(s.properties?.[name], doc);
    const type = Array.isArray(p.type) ? p.type[0] : p.type;
    out[name] = p.enum ? p.enum[0] : type === "integer" || type === "number" ? (p.minimum ?? 1) : type === "boolean" ? true : type === "object" ? {} : type === "array" ? [] : "fuzz";
  }
  return out;
}

function memberNameArb(schema: unknown, doc: unknown): fc.Arbitrary<string> {
  const names = propertyNames(schema, doc);
  return fc.oneof(
    ...(names.length ? [fc.constantFrom(...names)] : []),
    fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", ""),
    base62(1, 12),
  );
}

function injectMembers(text: string, members: [string, string][]): string {
  const raw = members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",");
  if (text.startsWith("{") && text !== "{}") return `{${raw},${text.slice(1)}`;
  if (text === "{}") return `{${raw}}`;
  return `{${raw}}`;
}

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

function deref(schema: unknown, doc: unknown): Schema {
  let s = (schema ?? {}) as Schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const name = s.$ref.replace("#/components/schemas/", "");
    s = ((doc as { components: { schemas: Record<string, Schema> } }).components.schemas[name] ?? {}) as Schema;
  }
  if (s.allOf && s.allOf.length > 0) return { ...deref(s.allOf[0], doc), ...Object.assign({}, ...s.allOf.slice(1).map((x) => deref(x, doc))) };
  return s;
}

function propertyNames(schema: unknown, doc: unknown): string[] {
  return Object.keys(deref(schema, doc).properties ?? {});
}

const anyJson = fc.jsonValue({ maxDepth: 2 });

function valueArb(schema: unknown, doc: unknown, depth: number): fc.Arbitrary<unknown> {
  const s = deref(schema, doc);
  const options: fc.Arbitrary<unknown>[] = [];
  if (s.enum) options.push(fc.constantFrom(...s.enum));
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  for (const t of types) {
    if (t === "string") options.push(stringFor(s));
    else if (t === "integer" || t === "number") options.push(numberFor(s, t === "integer"));
    else if (t === "boolean") options.push(fc.boolean());
    else if (t === "null") options.push(fc.constant(null));
    else if (t === "array" && depth < 4) options.push(fc.array(valueArb(s.items, doc, depth + 1), { maxLength: (s.maxItems ?? 4) + 2 }));
    else if (t === "object" && depth < 4) options.push(objectFor(s, doc, depth));
  }
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) options.push(valueArb(alt, doc, depth + 1));
  if (options.length === 0) return anyJson; // unconstrained (an ingest payload)
  return fc.oneof({ weight: 8, arbitrary: fc.oneof(...options) }, { weight: 1, arbitrary: anyJson });
}

function objectFor(s: Schema, doc: unknown, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(props)) model[name] = valueArb(sub, doc, depth + 1);
  if (Object.keys(model).length === 0) return fc.dictionary(base62(1, 8), anyJson, { maxKeys: 3 });
  return fc.record(model, { requiredKeys: [] });
}

function stringFor(s: Schema): fc.Arbitrary<string> {
  const max = s.maxLength ?? 60;
  const options: fc.Arbitrary<string>[] = [
    fc.string({ unit: "grapheme", maxLength: Math.min(max, 40) }),
    fc.constantFrom("", " ", "  x  ", "x".repeat(max), "x".repeat(max + 1), "\u0000", "é\u0301", "😀".repeat(10), "<script>", "kg_live_notakeyatall"),
  ];
  if (s.pattern?.startsWith("^ten_")) options.push(base62(8, 40).map((r) => "ten_" + r));
  if (s.pattern?.startsWith("^key_")) options.push(base62(8, 40).map((r) => "key_" + r));
  if (s.format === "date-time") {
    options.push(
      fc.constantFrom("2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "not a date", "2999-01-01", "2999-01-01T00:00:00+25:00"),
      fc.date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true }).map((d) => d.toISOString()),
    );
  }
  return fc.oneof(...options);
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const edges = [s.minimum, s.maximum, (s.minimum ?? 0) - 1, (s.maximum ?? 0) + 1, 0, -1, 2 ** 53, -(2 ** 53), 1e308, 0.5, -0].filter(
    (x): x is number => typeof x === "number",
  );
  return fc.oneof(
    fc.constantFrom(...edges),
    integer ? fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1_000_000 }) : fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1e6, noNaN: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI description, as the Worker serves it

export type Operation = {
  method: string;
  path: string;
  scope: string | undefined;
  operationId: string;
  tags: string[];
  query: string[];
  bodySchema: unknown;
  contentTypes: string[];
};

export async function operations(): Promise<{ doc: any; ops: Operation[] }> {
  const res = await exports.default.fetch(new Request(BASE + "/openapi.json", { headers: { "cf-connecting-ip": freshIp() } }));
  expect(res.status).toBe(200);
  const doc = (await res.json()) as any;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        scope: op["x-keygate-scope"],
        operationId: op.operationId,
        tags: op.tags ?? [],
        query: (op.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name),
        bodySchema: Object.values<any>(content)[0]?.schema,
        contentTypes: Object.keys(content),
      });
    }
  }
  return { doc, ops };
}

/** Case counts and durations, printed once per file so the report can quote them. */
export function report(print: (...a: unknown[]) => void, name: string, h: Harness, started: number): void {
  print(`[hardening] ${name}: ${h.summary()} in ${Date.now() - started} ms`);
}

export { fc, problemType };

// ---------------------------------------------------------------------------------------------
// Keys in every state


/** As much traffic as a fuzzer sends without ever meeting a rate limit (the limiter has its own suites). */
export const UNLIMITED = { rateLimit: { capacity: 1_000_000, refillPerSecond: 100_000 } };

export type Fixture = {
  platform: string;
  tenant: { id: string };
  admin: { key: string; id: string };
  other: { tenant: { id: string }; admin: { key: string; id: string } };
  /** Keys that exist but must be refused, with the problem kind each one gets. */
  refused: { key: string; id: string; kind: ProblemKind }[];
};

export async function keyFixture(): Promise<Fixture> {
  const platform = await platformKey();
  const { tenant } = await tenantWithAdmin(platform, { plan: "enterprise" });
  const admin = await createKey(platform, { tenantId: tenant.id, permissionSet: "full_access", ...UNLIMITED });
  const o = await tenantWithAdmin(platform, { plan: "enterprise" });
  const otherAdmin = await createKey(platform, { tenantId: o.tenant.id, permissionSet: "full_access", ...UNLIMITED });

  const revoked = await createKey(admin.key, { scopes: ["query", "admin"] });
  expect((await call(`/v1/keys/${revoked.id}/revoke`, { key: admin.key, body: { reason: "hardening" } })).status).toBe(200);
  const disabled = await createKey(admin.key, { scopes: ["query", "admin"] });
  expect((await call(`/v1/keys/${disabled.id}`, { method: "PATCH", key: admin.key, body: { enabled: false } })).status).toBe(200);
  const rolled = await createKey(admin.key, { scopes: ["query", "admin"] });
  expect((await call(`/v1/keys/${rolled.id}/roll`, { key: admin.key, body: { gracePeriodSeconds: 0 } })).status).toBe(200);
  const expired = await createKey(admin.key, { scopes: ["query", "admin"], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  // Time passes: the deadline moves into the past in D1, and no cache holds the old copy.
  await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, expired.id).run();
  memory.keys.clear();
  await env.KEY_CACHE.delete(`key:${await hashKey(expired.key)}`);
  const dormant = await tenantWithAdmin(platform, { plan: "enterprise" });
  expect((await call(`/v1/tenants/${dormant.tenant.id}`, { method: "PATCH", key: platform, body: { active: false } })).status).toBe(200);

  return {
    platform,
    tenant,
    admin: { key: admin.key, id: admin.id },
    other: { tenant: o.tenant, admin: { key: otherAdmin.key, id: otherAdmin.id } },
    refused: [
      { key: revoked.key, id: revoked.id, kind: "revoked-key" },
      { key: disabled.key, id: disabled.id, kind: "disabled-key" },
      { key: rolled.key, id: rolled.id, kind: "expired-key" },
      { key: expired.key, id: expired.id, kind: "expired-key" },
      { key: dormant.admin, id: dormant.adminId, kind: "tenant-inactive" },
    ],
  };
}

/** Every secret of a fixture, and the part after the prefix (what a scanner would still recognise). */
export function secretsOf(keys: readonly string[]): string[] {
  return keys.flatMap((k) => [k, k.slice("kg_live_".length)]);
}

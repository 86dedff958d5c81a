// Runs the CLI's pure logic inside workerd: its HTTP goes to the Worker's own fetch handler, its
// bootstrap SQL to the test D1. Every run is kept in a transcript for the no-leak check.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { run, type Io, type SqlTarget } from "../../cli/core/run.ts";

export const GATEWAY = "https://gw.test";

export type Result = { argv: string[]; code: number; stdout: string; stderr: string; fetches: number; sql: SqlTarget[] };

export const transcript: Result[] = [];

export type CliOptions = {
  env?: Record<string, string | undefined>;
  fetch?: Io["fetch"];
  runSql?: Io["runSql"];
};

/** `keygate <argv…>` with KEYGATE_URL pointing at the Worker and the given admin key. */
export async function cli(argv: string[], adminKey?: string, opts: CliOptions = {}): Promise<Result> {
  const result: Result = { argv, code: -1, stdout: "", stderr: "", fetches: 0, sql: [] };
  const io: Io = {
    fetch: (input, init) => {
      result.fetches++;
      return opts.fetch ? opts.fetch(input, init) : exports.default.fetch(new Request(input, init));
    },
    env: { KEYGATE_URL: GATEWAY, KEYGATE_ADMIN_KEY: adminKey, ...opts.env },
    stdout: (s) => void (result.stdout += s),
    stderr: (s) => void (result.stderr += s),
    runSql:
      opts.runSql ??
      (async (statements, target) => {
        result.sql.push(target);
        await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
      }),
  };
  result.code = await run(argv, io);
  transcript.push(result);
  return result;
}

/** Like cli(), but the command must succeed. */
export async function ok(argv: string[], adminKey?: string, opts?: CliOptions): Promise<Result> {
  const r = await cli(argv, adminKey, opts);
  expect(r.code, `keygate ${argv.join(" ")}\n${r.stderr}`).toBe(0);
  return r;
}

const SECRET = /kg_(?:live|test)_[0-9A-Za-z]{38}/g;
/** Anything a secret could leak as: the full key or any long piece of one. */
const KEY_SHAPED = /kg_(?:live|test)_[0-9A-Za-z]{8,}/g;

/** The one secret a create/roll/bootstrap printed. */
export function secretIn(r: Result): string {
  const found = [...new Set(r.stdout.match(SECRET) ?? [])];
  expect(found, r.stdout).toHaveLength(1);
  return found[0]!;
}

export function parseJson<T = any>(r: Result): T {
  return JSON.parse(r.stdout) as T;
}

const CREATES = ["bootstrap", "keys create", "keys roll"];

/**
 * The only key-shaped strings the CLI ever printed are secrets printed by the successful
 * create/roll/bootstrap that made them, each by exactly one run; and the given keys (used via
 * KEYGATE_ADMIN_KEY) appear nowhere else.
 */
export function expectOnlyNewSecretsPrinted(): void {
  const printedBy = new Map<string, string[]>();
  for (const r of transcript) {
    const words = r.argv.filter((a) => !a.startsWith("-")).join(" ");
    const help = r.argv.includes("--help") || r.argv.includes("-h") || words.startsWith("help");
    const creating = r.code === 0 && !help && CREATES.some((c) => words.startsWith(c));
    const found = new Set([...(r.stdout + r.stderr).matchAll(KEY_SHAPED)].map((m) => m[0]));
    if (!creating) expect([...found], `keygate ${r.argv.join(" ")} printed key material`).toEqual([]);
    else expect(found.size, `keygate ${r.argv.join(" ")} printed one secret`).toBe(1);
    for (const s of found) printedBy.set(s, [...(printedBy.get(s) ?? []), r.argv.join(" ")]);
  }
  for (const [secret, runs] of printedBy) {
    expect(runs, `${secret.slice(0, 12)}… printed more than once`).toHaveLength(1);
    expect(secret).toMatch(/^kg_(live|test)_[0-9A-Za-z]{38}$/);
  }
}

/** Calls the Worker directly with a key, e.g. to check that a printed secret works. */
export function whoami(key: string): Promise<Response> {
  return exports.default.fetch(new Request(`${GATEWAY}/v1/auth/me`, { headers: { Authorization: `Bearer ${key}` } }));
}

/** The status /v1/auth/me gives this key, with the body in the failure message. */
export async function expectWhoamiStatus(key: string, status: number): Promise<void> {
  const res = await whoami(key);
  const body = await res.text();
  expect(res.status, body).toBe(status);
}

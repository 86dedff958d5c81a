// Assertions and D1/KV inspection shared by the admin suites (not a test file itself).
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { PROBLEM_BASE } from "../../src/core/problem.ts";
import { call, json } from "./gateway.ts";

/** The response is an RFC 9457 problem of this kind, with every member and no stack trace. */
export async function expectProblem(res: Response, status: number, kind: string): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body).toMatchObject({
    type: PROBLEM_BASE + kind,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.stringMatching(/^\//),
    request_id: expect.any(String),
  });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  // Nothing that looks like a stack trace or a source location.
  expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|\.(ts|js):\d+|"stack"/);
  return body;
}

/** The caller's own key id and tenant id, through /v1/auth/me. */
export async function whoAmI(key: string): Promise<{ keyId: string; tenantId: string }> {
  const me = await json(await call("/v1/auth/me", { key }));
  return { keyId: me.key.id, tenantId: me.tenant.id };
}

export async function auditRowsFor(targetId: string): Promise<any[]> {
  const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE target_id = ? ORDER BY id").bind(targetId).all();
  return results;
}

export async function countRows(sql: string, ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...binds).first<{ n: number }>();
  return row!.n;
}

/** Every row of every user table in D1, as one string. */
export async function dumpD1(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["tenants", "api_keys", "key_secrets", "audit_log"]));
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    out[name] = (await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results;
  }
  return JSON.stringify(out);
}

/** Every KV entry (name and value), as one string. */
export async function dumpKV(): Promise<{ names: string[]; text: string }> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page: KVNamespaceListResult<unknown, string> = await env.KEY_CACHE.list({ cursor });
    names.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const values: Record<string, string | null> = {};
  for (const name of names) values[name] = await env.KEY_CACHE.get(name);
  return { names, text: JSON.stringify(values) };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const patch = (path: string, key: string, body: unknown, headers?: Record<string, string>) =>
  call(path, { method: "PATCH", key, body, headers });

export const inOneHour = () => new Date(Date.now() + 3600_000).toISOString();

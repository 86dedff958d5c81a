// Shared by the Worker's tests: real requests through the Worker's own fetch handler, real D1/KV.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { bootstrapStatements } from "../../src/admin/bootstrap.ts";

export const BASE = "https://gw.test";

export type Call = {
  method?: string;
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
};

export async function call(path: string, opts: Call = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  // A client address per call unless a test names one: the per-IP auth-failure filter would
  // otherwise count every test's deliberate failures against one shared address.
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `198.51.100.${Math.floor(Math.random() * 250) + 1}`);
  if (opts.key) headers.set("Authorization", `Bearer ${opts.key}`);
  // A stream goes as it is: no Content-Length, like a chunked upload.
  let body: string | ReadableStream | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" || opts.body instanceof ReadableStream ? opts.body : JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(new Request(BASE + path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }));
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** A fresh platform key, inserted by the same SQL the CLI's bootstrap runs. */
export async function platformKey(): Promise<string> {
  const { key, statements } = await bootstrapStatements({ name: `test-${crypto.randomUUID()}` });
  await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
  return key;
}

let slugCounter = 0;
export async function createTenant(platform: string, body: Record<string, unknown> = {}): Promise<any> {
  const res = await call("/v1/tenants", {
    key: platform,
    body: { name: "Acme", slug: `acme-${Date.now().toString(36)}-${slugCounter++}`, plan: "pro", ...body },
  });
  if (res.status !== 201) throw new Error(`createTenant: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function createKey(caller: string, body: Record<string, unknown>): Promise<any> {
  const res = await call("/v1/keys", { key: caller, body: { name: `k-${crypto.randomUUID()}`, ...body } });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A tenant with an admin key: the usual starting point of a tenant-level test. */
export async function tenantWithAdmin(platform: string, tenantBody: Record<string, unknown> = {}) {
  const tenant = await createTenant(platform, tenantBody);
  const admin = await createKey(platform, { tenantId: tenant.id, permissionSet: "full_access" });
  return { tenant, admin: admin.key as string, adminId: admin.id as string };
}

export function storeCounts(res: Response): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (res.headers.get("server-timing") ?? "").split(",")) {
    const m = /([\w-]+);desc="(\d+)"/.exec(part.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

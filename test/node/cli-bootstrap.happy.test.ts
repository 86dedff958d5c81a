// The real bin, end to end: `node cli/keygate.mjs bootstrap` runs `wrangler d1 execute` against a
// local D1 in a temporary --persist-to directory that `wrangler d1 migrations apply` prepared.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const exec = promisify(execFile);

// Non-interactive, no telemetry: wrangler must never prompt or wait on the network here.
const ENV = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true" };

type Run = { code: number; stdout: string; stderr: string };

async function node(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: ROOT, env: ENV, timeout: 45_000 });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    if (typeof err.code !== "number") throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const wrangler = (...args: string[]) => node([WRANGLER, ...args]);
const keygate = (...args: string[]) => node([path.join(ROOT, "cli/keygate.mjs"), ...args]);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

let state: string;
let empty: string;
beforeAll(async () => {
  state = await mkdtemp(path.join(tmpdir(), "keygate-cli-test-"));
  empty = await mkdtemp(path.join(tmpdir(), "keygate-cli-empty-"));
  const migrated = await wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", state);
  expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
});
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

describe("keygate bootstrap (real bin, real wrangler)", () => {
  it("writes a platform key into the local D1 and prints its secret once; only the hash is on disk", async () => {
    const r = await keygate("bootstrap", "--local", "--persist-to", state, "--name", "node-test");
    expect(r.code, r.stderr).toBe(0);
    const secrets = r.stdout.match(/kg_live_[0-9A-Za-z]{38}/g) ?? [];
    expect(secrets).toHaveLength(1);
    const key = secrets[0]!;
    const keyId = /\bkey_[0-9A-Za-z]+/.exec(r.stdout)![0];
    expect(r.stderr).not.toContain(key);

    const q = await wrangler(
      "d1", "execute", "DB", "--local", "--persist-to", state, "--json",
      "--command", "SELECT k.id, k.name, k.scopes, t.slug, s.hash FROM api_keys k JOIN tenants t ON t.id = k.tenant_id JOIN key_secrets s ON s.key_id = k.id",
    );
    expect(q.code, q.stderr).toBe(0);
    const rows = JSON.parse(q.stdout)[0].results;
    expect(rows).toEqual([
      { id: keyId, name: "node-test", scopes: '["platform"]', slug: "platform", hash: createHash("sha256").update(key).digest("hex") },
    ]);

    for (const file of await filesUnder(state)) expect((await readFile(file)).includes(key), file).toBe(false);
  });

  it("exits 1 with wrangler's reason when the migrations have not been applied", async () => {
    const r = await keygate("bootstrap", "--persist-to", empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such table/i);
    expect(r.stderr).toContain("npm run db:migrate:local");
    expect(r.stdout).not.toMatch(/kg_live_/);
  });

  it("--json gives scripts the key and its id", async () => {
    const r = await keygate("bootstrap", "--json", "--persist-to", state);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: expect.stringMatching(/^kg_live_/), keyId: expect.stringMatching(/^key_/), remote: false });
  });
});

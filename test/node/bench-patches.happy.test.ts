// bench/lib/patches.mjs: every what-if patch of bench/ablate.mjs and bench/profile.mjs applies to
// the bundle wrangler builds from this tree (`wrangler deploy --dry-run`, what the bench serves),
// changes it, and leaves valid JavaScript. A patch anchored on code that has since changed fails
// here, naming itself, instead of in a benchmark run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module of the bench, no types
import { compose, patches } from "../../bench/lib/patches.mjs";

type Patch = (bundle: string) => string;
const table = patches as Record<string, Patch>;
const composed = compose as (name: string) => Patch;

const ROOT = path.join(import.meta.dirname, "../..");
const outdir = mkdtempSync(path.join(tmpdir(), "keygate-bench-patches-"));
let bundle = "";

beforeAll(() => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}\n${r.stderr}`);
  bundle = readFileSync(path.join(outdir, "index.js"), "utf8");
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const valid = (code: string) => transformSync(code, { loader: "js", format: "esm", logLevel: "silent" });

describe("bench/lib/patches.mjs against the current bundle", () => {
  const names = Object.keys(table).filter((name) => name !== "orig");

  it("has the patches ablate.mjs runs by default", () => {
    expect(names.length).toBeGreaterThan(5);
  });

  it.each(names)("%s applies, changes the bundle and leaves valid JavaScript", (name) => {
    const patched = table[name]!(bundle);
    expect(patched).not.toBe(bundle);
    expect(() => valid(patched)).not.toThrow();
  });

  it("composes patches with +, and names an unknown one", () => {
    const both = composed("no-log+no-signature")(bundle);
    expect(both).toBe(table["no-signature"]!(table["no-log"]!(bundle)));
    expect(() => composed("no-log+no-such-patch")(bundle)).toThrow(/no such patch: no-such-patch/);
  });
});

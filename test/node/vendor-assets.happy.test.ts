// scripts/vendor-assets.mjs (npm postinstall): copies the browser libraries into
// public/assets/vendor/, silently, and leaves identical copies untouched.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { ROOT, VENDORED, vendorAssets } from "../../scripts/vendor-assets.mjs";

const into = () => mkdtempSync(path.join(tmpdir(), "keygate-vendor-"));

describe("vendor-assets", () => {
  it("is the postinstall script, and its output is git-ignored", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.postinstall).toBe("node scripts/vendor-assets.mjs");
    expect(pkg.dependencies["@scalar/api-reference"]).toBeTruthy();
    expect(pkg.dependencies.uplot).toBeTruthy();
    expect(readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("public/assets/vendor/");
  });

  it("copies every file once, then finds nothing to do", () => {
    const dir = into();
    const targets = Object.keys(VENDORED);
    expect(vendorAssets({ into: dir }).sort()).toEqual([...targets].sort());
    for (const target of targets) {
      expect(readFileSync(path.join(dir, target)).equals(readFileSync(path.join(ROOT, "node_modules", VENDORED[target])))).toBe(true);
    }
    const mtime = statSync(path.join(dir, targets[0]!)).mtimeMs;
    expect(vendorAssets({ into: dir })).toEqual([]);
    expect(statSync(path.join(dir, targets[0]!)).mtimeMs).toBe(mtime);
  });

  it("replaces a copy that differs from its source", () => {
    const dir = into();
    vendorAssets({ into: dir });
    writeFileSync(path.join(dir, "uplot/uPlot.min.css"), "stale");
    expect(vendorAssets({ into: dir })).toEqual(["uplot/uPlot.min.css"]);
  });

  it("prints nothing and exits 0 when it succeeds; says what is missing otherwise", () => {
    const ok = spawnSync(process.execPath, ["scripts/vendor-assets.mjs"], { cwd: ROOT, encoding: "utf8" });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, "", ""]);
    expect(() => vendorAssets({ root: into(), into: into() })).toThrow(/missing: run npm install/);
  });
});

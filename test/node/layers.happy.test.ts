// The layout README "Layout" describes, checked on every import in src/: a module imports only
// from its own layer or the layers before it, the ground floor (core/) from nothing else in src/,
// and no module grows past 300 lines. And test/ mirrors src/, with one naming scheme.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(import.meta.dirname, "../../src");
const TEST = path.join(import.meta.dirname, "..");
/** Lowest first: the order README "Layout" gives. */
const LAYERS = ["core", "db", "tenants", "people", "keys", "config", "analytics", "limits", "http", "proxy", "realtime", "jobs", "admin", "insight", "routes", "mcp", "console", "app.ts", "index.ts"];
const MAX_LINES = 300;

function modules(dir = SRC, exts = [".ts", ".tsx"]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(path.join(dir, e.name), exts) : exts.some((x) => e.name.endsWith(x)) ? [path.join(dir, e.name)] : [],
  );
}

const layerOf = (file: string) => LAYERS.indexOf(path.relative(SRC, file).split(path.sep)[0]!);

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)\s[^"';]*?from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/g)].map((m) =>
    path.resolve(path.dirname(file), m[1] ?? m[2]!),
  );
}

describe("src/ layers", () => {
  const files = modules();

  it("every module is in a known layer", () => {
    expect(files.filter((f) => layerOf(f) < 0).map((f) => path.relative(SRC, f))).toEqual([]);
  });

  it("no import reaches a higher layer", () => {
    const upward = files.flatMap((f) =>
      imports(f)
        .filter((target) => layerOf(target) > layerOf(f))
        .map((target) => `${path.relative(SRC, f)} → ${path.relative(SRC, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it("the ground floor imports nothing else from src/", () => {
    const core = files.filter((f) => layerOf(f) === 0);
    expect(core.length).toBeGreaterThan(5);
    const outside = core.flatMap((f) => imports(f).filter((t) => layerOf(t) !== 0).map((t) => `${path.relative(SRC, f)} → ${path.relative(SRC, t)}`));
    expect(outside).toEqual([]);
  });

  it(`no module is longer than ${MAX_LINES} lines`, () => {
    const long = files.map((f) => [path.relative(SRC, f), readFileSync(f, "utf8").split("\n").length] as const).filter(([, n]) => n > MAX_LINES);
    expect(long).toEqual([]);
  });

  // Hono's c.var builds a fresh object from every variable on each read; the stages read a dozen
  // of them per request. c.get() is a Map lookup.
  it("stages read context variables with c.get(), never c.var", () => {
    const users = files.filter((f) => /\bc\.var\b/.test(readFileSync(f, "utf8")));
    expect(users.map((f) => path.relative(SRC, f))).toEqual([]);
  });

  it("features never import the route assembly", () => {
    const assembly = files.filter((f) => ["app.ts", "index.ts"].includes(path.relative(SRC, f)));
    const importers = files.filter((f) => !assembly.includes(f) && imports(f).some((t) => assembly.includes(t)));
    expect(importers.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});

/** Folders of test/ that are not a mirror of src/: the CLI's, the Node-side project, helpers, setup, test origins. */
const NOT_MIRRORS = ["cli", "node", "browser", "support", "setup", "origins"];

describe("test/ mirrors src/", () => {
  const tests = modules(TEST, [".test.ts"]).map((f) => path.relative(TEST, f));

  it("every test file is named <subject>.<happy|error|security>.test.ts", () => {
    expect(tests.filter((t) => !/^[\w-]+\.(happy|error|security)\.test\.ts$/.test(path.basename(t)))).toEqual([]);
  });

  it("every test folder (but the CLI's, Node's and the helpers') is a folder of src/, and every src/ folder has tests", () => {
    const folders = new Set(tests.map((t) => path.dirname(t)).filter((d) => d !== "." && !NOT_MIRRORS.includes(d.split(path.sep)[0]!)));
    const srcFolders = new Set(modules().map((f) => path.dirname(path.relative(SRC, f))).filter((d) => d !== "."));
    expect([...folders].filter((d) => !srcFolders.has(d))).toEqual([]);
    expect([...srcFolders].filter((d) => ![...folders].some((t) => t === d || t.startsWith(d + path.sep) || d.startsWith(t + path.sep)))).toEqual([]);
  });
});

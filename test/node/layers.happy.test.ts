// The layout README "Layout" describes, checked on every import in src/: a module imports only
// from its own layer or the layers before it, the ground floor (core/) from nothing else in src/,
// and no module grows past 300 lines.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(import.meta.dirname, "../../src");
/** Lowest first: the order README "Layout" gives. */
const LAYERS = ["core", "db", "tenants", "keys", "config", "limits", "http", "proxy", "jobs", "admin", "routes", "app.ts", "index.ts"];
const MAX_LINES = 300;

function modules(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
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

  it("features never import the route assembly", () => {
    const assembly = files.filter((f) => ["app.ts", "index.ts"].includes(path.relative(SRC, f)));
    const importers = files.filter((f) => !assembly.includes(f) && imports(f).some((t) => assembly.includes(t)));
    expect(importers.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});

// `npx keygate …` as a new user runs it: from the project, with the machine's own node and npm on
// PATH (Node 20 on CI), not the project's Node 22. npx links the project into its cache on the
// first call and checks the project's `engines` against the Node running npm: with ">=22" that
// printed two EBADENGINE warnings. The project needs only Node 20 and npm (it brings Node 22,
// which runs the CLI), so `engines` says so and nothing is printed but the help.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bash, ROOT, userNodeVersion, userPath } from "../support/try-it.ts";

const userNode = userNodeVersion();
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(userNode === undefined)(`npx keygate with the user's own node (${userNode ?? "none on PATH"})`, () => {
  it("prints the help and no EBADENGINE warning, also on its first call (a fresh npx cache)", async () => {
    const cache = await mkdtemp(path.join(tmpdir(), "keygate-npx-cache-"));
    dirs.push(cache);
    // A fresh cache is the first call, the one that installs into npx's cache and checked engines.
    const env = { ...process.env, PATH: userPath(), npm_config_cache: cache, npm_config_update_notifier: "false", npm_config_offline: "true" };
    for (const call of ["first", "second"]) {
      const r = await bash("npx keygate help", env, 60_000);
      expect(r.code, `${call}: ${r.stderr}`).toBe(0);
      expect(r.stdout, call).toMatch(/^keygate: operate a keygate API-key gateway/);
      expect(r.stderr, call).not.toMatch(/EBADENGINE|Unsupported engine/);
      // The CLI ran on the project's Node 22 (the launcher refuses older ones), not the user's.
      expect(r.stderr, call).not.toContain("keygate needs Node");
    }
  });

  it("engines asks of the machine what README's quick start does: Node 20 or later", async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
    const lock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8"));
    expect(pkg.engines.node).toBe(">=20");
    expect(lock.packages[""].engines.node).toBe(pkg.engines.node);
    expect(await readFile(path.join(ROOT, "README.md"), "utf8")).toContain("(Node 20 or later and npm;");
  });
});

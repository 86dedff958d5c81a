// scripts/dev.mjs refuses a sweep period it cannot use before it touches anything (no migration,
// no key, no demo origin left running): exit 2 with the setting named.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/try-it.ts";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const node22 = major > 22 || (major === 22 && minor >= 18);

describe.skipIf(!node22)("npm run dev with a bad KEYGATE_DEV_SWEEP_SECONDS", () => {
  it.each(["soon", "-5"])("%s: exit 2 naming the setting, nothing started", (value) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/dev.mjs")], {
      cwd: ROOT,
      env: { ...process.env, KEYGATE_DEV_SWEEP_SECONDS: value },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`KEYGATE_DEV_SWEEP_SECONDS must be a number of seconds (0: off), not "${value}"`);
    expect(r.stdout).not.toContain("applying D1 migrations");
  });
});

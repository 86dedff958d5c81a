#!/usr/bin/env node
// Launcher for the keygate CLI. The CLI is TypeScript run by Node's built-in type stripping
// (Node >= 22.18), so this file stays plain JS and checks the version first.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `keygate needs Node >= 22.18 (found ${process.versions.node}). Run it through npm so the project's Node is used: npx keygate …\n`,
  );
  process.exit(2);
}
await import("./main.ts");

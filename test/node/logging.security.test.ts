// Issue 11 item 3: a key refused in a URL must not be kept by the platform's logs either. Checks the
// configuration each log is governed by (SECURITY.md "What each log keeps"); the local dev store
// and wrangler's console lines are checked as they behave.
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { wranglerEnv } from "../../cli/wrangler.ts";
import { generateKey } from "../../src/keys/format.ts";
// @ts-expect-error: a plain .mjs helper of the dev script, without types
import { redactLine } from "../../scripts/redact-output.mjs";

const ROOT = path.join(import.meta.dirname, "../..");

describe("Workers Logs", () => {
  const { observability } = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") });

  it("keep keygate's own lines but no invocation logs, no query strings and no traces", () => {
    expect(observability?.enabled).toBe(true);
    expect(observability?.logs?.enabled).toBe(true);
    expect(observability?.logs?.invocation_logs).toBe(false);
    expect(observability?.redact_query_string).toBe(true);
    expect(observability?.traces?.enabled).toBe(false);
  });
});

describe("local development", () => {
  it("runs wrangler without Miniflare's local observability store, which records full URLs", () => {
    expect(wranglerEnv({} as NodeJS.ProcessEnv).X_LOCAL_OBSERVABILITY).toBe("false");
    expect(wranglerEnv({ X_LOCAL_OBSERVABILITY: "true" } as unknown as NodeJS.ProcessEnv).X_LOCAL_OBSERVABILITY).toBe("true");
  });

  it("shows wrangler's request lines with keys redacted, also percent-encoded ones next to a bad escape", () => {
    const key = generateKey("live");
    const encoded = key.replaceAll("_", "%5F");
    for (const line of [`[wrangler:info] GET /v1/${key} 400 Bad Request (3ms)`, `[wrangler:info] GET /v1/a%ZZ/${encoded}?y=%ZZ 400 Bad Request (3ms)`]) {
      const shown: string = redactLine(line);
      expect(shown).toContain("[redacted-key]");
      expect(shown).not.toContain(key.slice(8));
    }
    expect(redactLine("[wrangler:info] GET /v1/query 200 OK (3ms)")).toBe("[wrangler:info] GET /v1/query 200 OK (3ms)");
  });
});

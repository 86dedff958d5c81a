// README's "Trying the whole path" block stops at the first step that fails, says why, and runs
// nothing after it: no step goes on with an empty tenant, key or job id. Run with bash as written,
// with the user's own PATH (the machine's node and npx), against no gateway at all.
import { describe, expect, it } from "vitest";
import { bash, freePort, readmeTryIt, userNodeVersion, userPath } from "../support/try-it.ts";

const hasNode = userNodeVersion() !== undefined;

describe.skipIf(!hasNode)("README's try-it block, when a step fails", () => {
  it("no gateway at KEYGATE_URL: stops at the first step with the CLI's reason, runs nothing else", async () => {
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    const r = await bash(readmeTryIt(), { ...process.env, PATH: userPath(), KEYGATE_URL: url, KEYGATE_ADMIN_KEY: `kg_live_${"0".repeat(38)}` });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain(`cannot reach the gateway at ${url}`);
    expect(r.stderr).toContain("Stopped: expected id from keygate, got: nothing");
    // Nothing after the first step ran: no key was asked for, no curl, no success line.
    expect(r.stderr.match(/Stopped:/g)).toHaveLength(1);
    expect(r.stderr).not.toContain("curl:");
    expect(r.stdout).not.toContain("The whole path works");
    expect(r.stderr).not.toMatch(/EBADENGINE/);
  });

  it("KEYGATE_ADMIN_KEY not set: stops at once, telling how to set it", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: userPath(), KEYGATE_URL: `http://127.0.0.1:${await freePort()}` };
    delete env.KEYGATE_ADMIN_KEY;
    const r = await bash(readmeTryIt(), env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("KEYGATE_ADMIN_KEY is not set");
    expect(r.stderr).toContain("read -rs KEYGATE_ADMIN_KEY && export KEYGATE_ADMIN_KEY");
    expect(r.stderr.match(/Stopped:/g)).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("an answer that is a problem stops the chain with it, not with its status as a value", async () => {
    // The block's own json helper, fed a problem keygate could answer (its `status` is a number).
    const helper = /^json\(\) \{[\s\S]*?"\$1"; \}$/m.exec(readmeTryIt())![0];
    const problem = JSON.stringify({ type: "https://keygate.dev/problems/not-found", title: "Not found", status: 404, detail: "No such job." });
    const r = await bash(`${helper}\nprintf '%s' '${problem}' | json status && echo went-on`, { ...process.env, PATH: userPath() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('Stopped: expected status from keygate, got: {"type"');
    const job = await bash(`${helper}\nprintf '%s' '{"id":"job_1","status":"completed"}' | json status`, { ...process.env, PATH: userPath() });
    expect(job.stdout.trim()).toBe("completed");
  });
});

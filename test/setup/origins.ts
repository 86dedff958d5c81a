// vitest globalSetup (runs in Node): starts the real origins the Worker's tests forward to, on
// the ports vitest.config.ts chose, and stops them afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { startEchoOrigin } from "../origins/echo-origin.ts";
import { startWebhookReceiver } from "../origins/webhook-receiver.ts";
import { startAccessIssuer, type AccessIssuer } from "../support/access-issuer.ts";

let echo: Server | undefined;
let webhooks: Server | undefined;
let python: ChildProcess | undefined;
let access: AccessIssuer | undefined;

export async function setup(): Promise<void> {
  const jwks = JSON.parse(readFileSync(process.env.KG_TEST_JWKS_FILE!, "utf8"));
  echo = await startEchoOrigin(Number(process.env.KG_TEST_ECHO_PORT), jwks);
  webhooks = await startWebhookReceiver(Number(process.env.KG_TEST_WEBHOOK_PORT));
  access = await startAccessIssuer({ port: Number(process.env.KG_TEST_ACCESS_PORT), aud: "kg-test-access-aud" });
  if (!process.env.KEYGATE_PYTHON) return; // vitest.config.ts found none and routed /v1/query to the Node origin
  python = spawn(process.env.KEYGATE_PYTHON, ["examples/python-origin/origin.py", "--port", process.env.KG_TEST_PY_PORT!, "--jwks-file", process.env.KG_TEST_JWKS_FILE!, "--authority", `127.0.0.1:${process.env.KG_TEST_PY_PORT}`], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(Number(process.env.KG_TEST_PY_PORT));
}

export async function teardown(): Promise<void> {
  python?.kill();
  await access?.close();
  await new Promise((r) => (echo ? echo.close(r) : r(undefined)));
  await new Promise((r) => (webhooks ? webhooks.close(r) : r(undefined)));
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the Python origin did not start on port ${port} (is python3-cryptography installed?)`);
}

// One real gateway for the browser suite, started the way a user starts it: `npm run dev` with a
// fresh state directory, on free ports, in its own process group (npm, the dev script, wrangler,
// workerd and the demo origin all go with one signal), pointed at the local Access issuer with
// `--var`. Its output goes to test-artifacts/gateway.log (keys blanked) for when a page misbehaves.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AccessIssuerInfo } from "./access-issuer.ts";
import { freePort, killGroup, ROOT } from "./try-it.ts";

/** What the browser suite's test files get through inject(). */
export type BrowserGateway = { baseUrl: string; platformKey: string };

declare module "vitest" {
  export interface ProvidedContext {
    /** Where to ask for the suite's gateway (see suiteGateway); null without Chromium (nothing to test it with). */
    keygateGatewayStatus: string | null;
    /** The local Cloudflare Access issuer the gateway trusts. */
    keygateAccess: AccessIssuerInfo;
  }
}

export type GatewayOptions = {
  /** ACCESS_TEAM_DOMAIN and ACCESS_AUD, when the gateway should trust an Access issuer. */
  access?: { teamDomain: string; aud: string };
  /** More `--var NAME:value` for wrangler dev. */
  vars?: Record<string, string>;
  /** KEYGATE_DEV_SWEEP_SECONDS (default 2). */
  sweepSeconds?: number;
  timeoutMs?: number;
  /** Where the output goes (default test-artifacts/gateway.log). */
  logFile?: string;
};

export type GatewayServer = BrowserGateway & {
  /** Everything it printed so far (keys blanked), for failure messages. */
  output(): string;
  /** Stops the whole process group and removes the state directory; safe to call twice. */
  stop(): Promise<void>;
};

const KEY = /kg_(?:live|test)_[0-9A-Za-z]{38}/g;
const blank = (text: string) => text.replace(KEY, "kg_…");
/** The platform key: the first run's banner prints it alone on an indented line. */
const keyIn = (text: string) => /^ {4}(kg_live_[0-9A-Za-z]{38})$/m.exec(text)?.[1];

export type LaunchedGateway = {
  baseUrl: string;
  /** Resolves once the dev script is past writing .dev.vars (its first run makes the signing key there). */
  started: Promise<void>;
  /** Resolves once /ready answers 200 with the platform key; rejects with the output otherwise. */
  ready: Promise<GatewayServer>;
  stop(): Promise<void>;
};

/** Spawns the gateway without waiting for it. `ready` is always handled (no unhandled rejection). */
export async function launchGateway(opts: GatewayOptions = {}): Promise<LaunchedGateway> {
  const timeoutMs = opts.timeoutMs ?? 150_000;
  const [port, demoPort, inspectorPort] = [await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${port}`;
  const state = await mkdtemp(path.join(tmpdir(), "keygate-browser-"));
  const vars = { ...opts.vars };
  if (opts.access) Object.assign(vars, { ACCESS_TEAM_DOMAIN: opts.access.teamDomain, ACCESS_AUD: opts.access.aud });
  const args = ["run", "dev", "--", "--port", String(port), "--persist-to", state, "--inspector-port", String(inspectorPort)];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);

  const logFile = opts.logFile ?? path.join(ROOT, "test-artifacts", "gateway.log");
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  let out = "";
  let platformKey: string | undefined;
  let spawnError: Error | undefined;
  const dev: ChildProcess = spawn("npm", args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DEMO_ORIGIN_PORT: String(demoPort),
      KEYGATE_DEV_SWEEP_SECONDS: String(opts.sweepSeconds ?? 2),
      CI: "true",
      NO_COLOR: "1",
      WRANGLER_SEND_METRICS: "false",
    },
  });
  // If vitest itself goes down before teardown, the gateway still does not outlive it.
  const onExit = () => killGroup(dev.pid, "SIGKILL");
  process.once("exit", onExit);
  dev.on("error", (e) => (spawnError = e));
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    platformKey ??= keyIn(out + text);
    // The Worker logs every request: keep the start and a bounded tail for failure messages.
    out = out.length > 400_000 ? out.slice(0, 100_000) + "\n[…]\n" + out.slice(-200_000) : out;
    out += text;
    log.write(blank(text));
  };
  dev.stdout!.on("data", take);
  dev.stderr!.on("data", take);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (dev.pid !== undefined && dev.exitCode === null && dev.signalCode === null) {
        const exited = new Promise((resolve) => dev.once("exit", resolve));
        killGroup(dev.pid, "SIGTERM");
        const late = setTimeout(() => killGroup(dev.pid, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(late);
      }
      // workerd can outlive wrangler: whatever is left of the group goes too.
      killGroup(dev.pid, "SIGKILL");
      process.off("exit", onExit);
      await new Promise((resolve) => log.end(resolve));
      await rm(state, { recursive: true, force: true });
    })());
  const output = () => blank(out);

  const began = Date.now();
  /** Polls until `done` answers true; throws with the output when the dev script died or time ran out. */
  const until = async (what: string, done: () => boolean | Promise<boolean>) => {
    for (;;) {
      if (spawnError) throw new Error(`could not start npm run dev: ${spawnError.message}`);
      if (stopped) throw new Error(`npm run dev was stopped before ${what}`);
      if (dev.exitCode !== null || dev.signalCode !== null) throw new Error(`npm run dev exited (${dev.exitCode ?? dev.signalCode}) before ${what}:\n${output()}`);
      if (Date.now() - began > timeoutMs) throw new Error(`npm run dev: no ${what} within ${timeoutMs} ms:\n${output()}`);
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const started = until("migrations step", () => /applying D1 migrations/.test(out));
  const ready = (async (): Promise<GatewayServer> => {
    await until(`200 from ${baseUrl}/ready`, async () => {
      if (!/Ready on http/.test(out)) return false;
      const res = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      await res?.body?.cancel();
      return res?.status === 200;
    });
    if (!platformKey) throw new Error(`npm run dev printed no platform key:\n${output()}`);
    return { baseUrl, platformKey, output, stop };
  })();
  // Whoever awaits these sees the error; an early stop() must not leave them unhandled.
  started.catch(() => {});
  ready.catch(() => {});
  return { baseUrl, started, ready, stop };
}

/** Starts the gateway and waits for it; stops it again if it never gets ready. */
export async function startGateway(opts: GatewayOptions = {}): Promise<GatewayServer> {
  const gateway = await launchGateway(opts);
  try {
    return await gateway.ready;
  } catch (err) {
    await gateway.stop();
    throw err;
  }
}

/**
 * A loopback endpoint in the process that owns the gateway, for test files elsewhere: GET answers
 * {baseUrl, platformKey} once the gateway is ready (the request waits), or 503 {error} if it failed.
 */
export async function serveGatewayStatus(ready: Promise<BrowserGateway>): Promise<{ url: string; close(): Promise<void> }> {
  const outcome = ready.then(
    (g) => ({ status: 200, body: { baseUrl: g.baseUrl, platformKey: g.platformKey } }),
    (err: unknown) => ({ status: 503, body: { error: err instanceof Error ? err.message : String(err) } }),
  );
  const server = createServer((req, res) => {
    req.resume();
    void outcome.then(({ status, body }) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** In a test file: the suite's gateway, waiting for it to be ready (its start overlaps other projects' tests). */
export async function suiteGateway(statusUrl: string): Promise<BrowserGateway> {
  const res = await fetch(statusUrl);
  const body = (await res.json()) as BrowserGateway & { error?: string };
  if (res.status !== 200) throw new Error(`the browser suite's gateway did not start: ${body.error}`);
  return body;
}

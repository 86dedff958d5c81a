import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";

// Three projects: the Worker's tests run inside workerd with real local D1, KV and Durable Objects,
// forwarding to real origins (a Node one and the Python example) that test/setup/origins.ts starts;
// the operator tools (CLI, dev script, OpenAPI lint, Python verifier) run in Node; and the browser
// tests drive Debian's Chromium against one `npm run dev` gateway that test/setup/browser-gateway.ts
// starts (skipped, with a warning, where there is no Chromium).

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A port nothing listens on, for the origin that is down, and that nothing will take during the
 * run: free now, and below the range the kernel hands out for listen(0), which every test server
 * (and workerd) binds. A port from freePort() was once taken by a later test server, which then
 * answered the "down" origin's requests with 403 for the rest of the run.
 */
async function portNobodyTakes(): Promise<number> {
  let low = 49152; // macOS and IANA
  try {
    low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep IANA's range
  }
  for (let port = low - 1; port > 1024; port--) if (await isFree(port)) return port;
  throw new Error("no free port below the ephemeral range");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** One signing key per test run; origins get only its public half, in a JWKS file. */
async function testSigningKey() {
  if (process.env.KG_TEST_SIGNING_KEY) return;
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const kid = `test-${Date.now()}`;
  const priv = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid };
  const pub = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg: "EdDSA", use: "sig" };
  const dir = mkdtempSync(path.join(tmpdir(), "keygate-test-"));
  const file = path.join(dir, "jwks.json");
  writeFileSync(file, JSON.stringify({ keys: [pub] }));
  process.env.KG_TEST_SIGNING_KEY = JSON.stringify(priv);
  process.env.KG_TEST_JWKS_FILE = file;
  process.env.KG_TEST_ECHO_PORT = String(await freePort());
  process.env.KG_TEST_PY_PORT = String(await freePort());
  process.env.KG_TEST_DOWN_PORT = String(await portNobodyTakes()); // nothing listens there
  process.env.KG_TEST_WEBHOOK_PORT = String(await freePort()); // test/origins/webhook-receiver.ts
  process.env.KG_TEST_ACCESS_PORT = String(await freePort()); // a local Cloudflare Access (test/support/access-issuer.ts)
}

/** A python3 with `cryptography` for the Python example origin (KEYGATE_PYTHON wins), or none. */
function findPython(): string | undefined {
  for (const candidate of [process.env.KEYGATE_PYTHON, "python3", "/usr/bin/python3"]) {
    if (candidate && spawnSync(candidate, ["-c", "import cryptography"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return undefined;
}

const ACCESS_TEST_AUD = "kg-test-access-aud";

/** The Worker origin the RPC routes call (test/support/rpc-origin-worker.ts), bundled to one module. */
function rpcOriginScript(): string {
  const out = buildSync({
    entryPoints: [path.join(import.meta.dirname, "test/support/rpc-origin-worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    external: ["cloudflare:*"],
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  await testSigningKey();
  const echo = `http://127.0.0.1:${process.env.KG_TEST_ECHO_PORT}`;
  const python = findPython();
  if (python) process.env.KEYGATE_PYTHON = python;
  else {
    console.warn("vitest: no python3 with `cryptography` (apt-get install python3-cryptography): /v1/query goes to the Node origin and the Python verifier tests are skipped. CI installs it.");
  }
  const wrangler = unstable_readConfig({ config: "wrangler.toml" });
  const configured = (wrangler.vars.PROXY_ROUTES ?? []) as Record<string, string>[];
  // Routes added for tests, the way an operator adds one: configuration, no code.
  const testRoutes = [
    { name: "echo", path: "/v1/echo", methods: ["GET", "POST", "PUT", "DELETE"], origin: "ORIGIN_ECHO_URL", scope: "query", contentTypes: ["application/json", "text/plain", "application/octet-stream"], maxBodyBytes: 65536 },
    { name: "slow", path: "/v1/echo/slow", methods: ["GET"], origin: "ORIGIN_ECHO_URL", scope: "query", timeoutMs: 300 },
    { name: "down", path: "/v1/down", methods: ["GET", "POST"], origin: "ORIGIN_DOWN_URL", scope: "query" },
    { name: "costly", path: "/v1/echo/costly", methods: ["GET"], origin: "ORIGIN_ECHO_URL", scope: "query", cost: 5 },
    { name: "refuse", path: "/v1/ingest/refuse", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "jobs:write", job: true },
    { name: "ingest-down", path: "/v1/ingest-down", methods: ["POST"], origin: "ORIGIN_DOWN_URL", scope: "jobs:write", job: true },
    { name: "ingest-slow", path: "/v1/ingest-slow", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "jobs:write", job: true, timeoutMs: 300 },
    { name: "agents", path: "/v1/agents/:agentId", methods: ["GET", "POST"], origin: "ORIGIN_ECHO_URL", scope: "query", resource: { type: "agent", param: "agentId" } },
    { name: "realtime-slow", path: "/v1/realtime-slow", methods: ["GET"], origin: "ORIGIN_ECHO_URL", scope: "realtime", websocket: true, timeoutMs: 300 },
    { name: "realtime-down", path: "/v1/realtime-down", methods: ["GET"], origin: "ORIGIN_DOWN_URL", scope: "realtime", websocket: true },
    // The Python example answers an upgrade as plain HTTP: 200 once it has verified the signature.
    { name: "realtime-python", path: "/v1/realtime-python", methods: ["GET"], origin: "ORIGIN_QUERY_URL", scope: "realtime", websocket: true },
    { name: "agents-python", path: "/v1/agents-python/:agentId", methods: ["GET"], origin: "ORIGIN_QUERY_URL", scope: "query", resource: { type: "agent", param: "agentId" } },
    // MCP tools (wrangler.toml's query and ingest are tools too): the echo origin answers each.
    { name: "echo-tool", path: "/v1/tools/echo", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", mcp: { name: "echo", title: "Echo", readOnly: true, description: "Echo the arguments with what the origin verified.", inputSchema: { type: "object", properties: { text: { type: "string", maxLength: 100 }, times: { type: "integer", minimum: 1 } }, required: ["text"], additionalProperties: false } } },
    { name: "costly-tool", path: "/v1/tools/costly", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", cost: 5, mcp: { name: "costly", description: "Spends five tokens a call.", inputSchema: { type: "object" } } },
    { name: "slow-tool", path: "/v1/tools/slow", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", timeoutMs: 300, mcp: { name: "slow", description: "Outlasts its route's timeout.", inputSchema: { type: "object" } } },
    { name: "down-tool", path: "/v1/tools/down", methods: ["POST"], origin: "ORIGIN_DOWN_URL", scope: "query", mcp: { name: "down", description: "Its origin is not there.", inputSchema: { type: "object" } } },
    { name: "teapot-tool", path: "/v1/tools/teapot", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", mcp: { name: "teapot", description: "Its origin answers 418.", inputSchema: { type: "object" } } },
    { name: "problem-tool", path: "/v1/tools/problem", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", mcp: { name: "problem", description: "Its origin answers with a problem of its own.", inputSchema: { type: "object" } } },
    // Worker origins over RPC: the test origin Worker's entrypoint, through the RPC_ORIGIN binding.
    { name: "rpc", path: "/v1/rpc", methods: ["GET", "POST", "PUT"], service: "RPC_ORIGIN", rpc: "handle", scope: "query", contentTypes: ["application/json", "application/octet-stream", "text/plain"], maxBodyBytes: 1024 },
    { name: "rpc-slow", path: "/v1/rpc-timeout", methods: ["GET"], service: "RPC_ORIGIN", rpc: "handle", scope: "query", timeoutMs: 300 },
    { name: "rpc-other", path: "/v1/rpc-other", methods: ["GET"], service: "RPC_ORIGIN", rpc: "other", scope: "query" },
    { name: "rpc-missing", path: "/v1/rpc-missing", methods: ["GET"], service: "RPC_ORIGIN", rpc: "nosuch", scope: "query" },
    { name: "rpc-unbound", path: "/v1/rpc-unbound", methods: ["GET"], service: "NO_SUCH_BINDING", rpc: "handle", scope: "query" },
    { name: "rpc-agents", path: "/v1/rpc-agents/:agentId", methods: ["GET"], service: "RPC_ORIGIN", rpc: "handle", scope: "query", resource: { type: "agent", param: "agentId" } },
    { name: "rpc-ingest", path: "/v1/rpc-ingest", methods: ["POST"], service: "RPC_ORIGIN", rpc: "handle", scope: "jobs:write", job: true },
    { name: "small-tool", path: "/v1/tools/small", methods: ["POST"], origin: "ORIGIN_ECHO_URL", scope: "query", maxBodyBytes: 64, mcp: { name: "small", description: "Takes bodies of at most 64 bytes.", inputSchema: { type: "object" } } },
  ];
  return {
    test: {
      // The Worker's one-line JSON access logs would bury the test report; warnings and errors stay.
      onConsoleLog: (line: string) => !line.startsWith('{"level":"info"'),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              remoteBindings: false,
              miniflare: {
                workers: [{ name: "rpc-origin", modules: true, script: rpcOriginScript(), compatibilityDate: wrangler.compatibility_date }],
                serviceBindings: { RPC_ORIGIN: { name: "rpc-origin", entrypoint: "TestRpcOrigin" } },
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  EXPOSE_STORE_METRICS: "true",
                  // Every request's access-log line: tests read them (production samples successes).
                  ACCESS_LOG_SUCCESS_SAMPLE: "1",
                  ENVIRONMENT: "test",
                  SIGNING_KEY: process.env.KG_TEST_SIGNING_KEY!,
                  ORIGIN_INGEST_URL: echo,
                  ORIGIN_ECHO_URL: echo,
                  // wrangler.toml's own WebSocket route (/v1/realtime), against the echo origin's WebSocket side.
                  ORIGIN_REALTIME_URL: echo,
                  ORIGIN_QUERY_URL: python ? `http://127.0.0.1:${process.env.KG_TEST_PY_PORT}` : echo,
                  PYTHON_ORIGIN: python ? "yes" : "",
                  ORIGIN_DOWN_URL: `http://127.0.0.1:${process.env.KG_TEST_DOWN_PORT}`,
                  WEBHOOK_RECEIVER_URL: `http://127.0.0.1:${process.env.KG_TEST_WEBHOOK_PORT}`,
                  // Access sign-in on, against the local issuer: only requests carrying a token use it.
                  ACCESS_TEAM_DOMAIN: `http://127.0.0.1:${process.env.KG_TEST_ACCESS_PORT}`,
                  ACCESS_AUD: ACCESS_TEST_AUD,
                  CORS_ORIGINS: "https://app.example.com",
                  // JSON-shaped by construction; Miniflare's Json type just cannot see it.
                  PROXY_ROUTES: [...configured, ...testRoutes] as unknown as string,
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/**/*.test.ts"],
            exclude: ["test/node/**", "test/browser/**"],
            globalSetup: ["./test/setup/origins.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            globalSetup: ["./test/setup/browser-gateway.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});

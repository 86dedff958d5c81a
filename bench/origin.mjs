#!/usr/bin/env node
// The benchmark's origin: a minimal Node HTTP server, run as its own process so that it never
// shares an event loop with the harness or with workerd. It reads the request body and answers
// 200 with a small JSON body on a kept-alive connection. It verifies nothing: the benchmark
// measures the gateway, not the origin.
//
//   node bench/origin.mjs [port] [--exit-with-stdin]
// prints "listening <port>" once ready (port 0: any free port). With --exit-with-stdin it exits
// when its stdin closes: the harness passes a pipe, so the origin never outlives it.
import { createServer } from "node:http";

const body = Buffer.from('{"ok":true,"rows":[[1]]}');
const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : address}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
if (process.argv.includes("--exit-with-stdin")) {
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
}

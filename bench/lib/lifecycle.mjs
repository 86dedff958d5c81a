// Everything a bench script starts stops when the script ends, however it ends: normally, on an
// exception (thrown, uncaught, an unhandled rejection), on SIGINT/SIGTERM/SIGHUP, or when the
// watchdog gives up. Child processes (the origin, wrk) are tracked as they are spawned and
// Miniflare's stop is registered as soon as it exists; at the end the registered stops run (last
// first, 5 s at most), then whatever is still alive among the tracked children and the workerd
// processes under this one is killed (SIGKILL), and once more, synchronously, on process exit.
// Node builtins only (see preflight.mjs).
import { existsSync, readdirSync, readFileSync } from "node:fs";

const children = new Set();
const stops = [];
let prefix = "[bench]";
let phase = "starting";
let ending = null;
const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/** This module's signal listeners, once run() has installed them. */
const ownListeners = new Set();

/** A progress line on stderr; it is also what the watchdog names if it gives up. */
export function say(line) {
  phase = line;
  process.stderr.write(`${prefix} ${line}\n`);
}

/** Tracks a spawned child until it exits; gives it an 'error' handler (`onError`, or ignore: the caller's exit handler reports). */
export function track(child, onError = () => {}) {
  children.add(child);
  const forget = () => children.delete(child);
  child.exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", forget);
  child.on("error", (err) => {
    forget();
    onError(err);
  });
  return child;
}

/** Registers `fn` (sync or async) to run when the script ends; returns a function that unregisters it. */
export function onEnd(fn) {
  stops.push(fn);
  return () => {
    const i = stops.lastIndexOf(fn);
    if (i >= 0) stops.splice(i, 1);
  };
}

/**
 * BENCH_FAIL_AT=<name> makes the step of that name throw, <name>:unhandled leaves a rejected promise
 * nobody awaits: to check that a failure leaves nothing behind.
 */
export function failpoint(name) {
  const at = process.env.BENCH_FAIL_AT;
  if (at === name) throw new Error(`BENCH_FAIL_AT=${name}: failing on purpose`);
  if (at === `${name}:unhandled`) void Promise.reject(new Error(`BENCH_FAIL_AT=${at}: failing on purpose`));
}

/**
 * Takes SIGINT/SIGTERM/SIGHUP back from libraries that listen for them (Miniflare's exit hook
 * kills workerd and exits at once): this module's handler stops everything in order. Call it
 * after constructing such a library's object.
 */
export function ownSignals() {
  if (ownListeners.size === 0) return;
  for (const signal of Object.keys(SIGNALS)) {
    for (const listener of process.listeners(signal)) if (!ownListeners.has(listener)) process.removeListener(signal, listener);
  }
}

/** Pids of descendants of `pid` whose command name is `comm`. */
export function findDescendants(pid, comm) {
  const found = [];
  const walk = (p) => {
    let kids = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        kids.push(...readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim() === comm) found.push(k);
      } catch {}
      walk(k);
    }
  };
  walk(pid);
  return [...new Set(found)];
}

/** Dead: gone, or a zombie (its parent, this process, has not reaped it yet). */
function dead(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/**
 * SIGKILL to every tracked child still running and every workerd under this process, then waits
 * (3 s at most) until they are dead: a big process takes a moment to go, and this may be the
 * last thing this process does. Synchronous, so that it also works in an 'exit' handler.
 */
function killLeftovers() {
  const killed = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGKILL");
        killed.push(child.pid);
      } catch {}
    }
  }
  for (const pid of findDescendants(process.pid, "workerd")) {
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {}
  }
  const until = Date.now() + 3000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (killed.some((pid) => !dead(pid)) && Date.now() < until) Atomics.wait(nap, 0, 0, 10);
  return killed;
}

/** Runs the registered stops (last first, 5 s at most in all), then kills what is left. Once. */
export function cleanup() {
  ending ??= (async () => {
    const graceful = (async () => {
      while (stops.length) {
        try {
          await stops.pop()();
        } catch {}
      }
    })();
    await Promise.race([graceful, new Promise((r) => setTimeout(r, 5000).unref())]);
    const killed = killLeftovers();
    // Let Node reap what was just killed (1 s at most), so that no zombie outlives this process.
    const until = Date.now() + 1000;
    while (killed.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  })();
  return ending;
}

async function end(code) {
  await cleanup();
  process.exit(code);
}

/**
 * Installs the handlers (signals, uncaught errors, exit, watchdog), then runs `main`; its result
 * (a number, or nothing for 0) is the exit status, a throw is 1.
 */
export function run(main, { name = "bench", watchdogS }) {
  prefix = `[${name}]`;
  for (const [signal, code] of Object.entries(SIGNALS)) {
    const listener = () => {
      if (!ending) say(`${signal}: stopping`);
      void end(code);
    };
    ownListeners.add(listener);
    process.on(signal, listener);
  }
  // Once the end has begun, errors are the stopped processes' echoes: not reported again.
  const fatal = (what) => (err) => {
    if (!ending) {
      process.stderr.write(`${prefix} ${what} during: ${phase}\n`);
      console.error(err);
    }
    void end(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));
  process.on("exit", killLeftovers);
  if (watchdogS) {
    // A benchmark that hangs is worse than one that fails.
    setTimeout(() => {
      process.stderr.write(`${prefix} gave up after ${watchdogS} s, during: ${phase}\n`);
      void end(1);
    }, watchdogS * 1000).unref();
  }
  main().then(
    (code) => end(code ?? 0),
    (err) => {
      if (!ending) {
        process.stderr.write(`${prefix} failed during: ${phase}\n`);
        console.error(err);
      }
      return end(1);
    },
  );
}

// Readiness, for load balancers and deploy scripts: unlike /health (liveness, no store touched), it
// reads D1 and KV once each, with a short deadline, and says which one failed. Public, so the
// answer is shared per isolate for a second: a flood of probes costs at most one read of each
// store per isolate per second, and a probe never waits longer than the deadline.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deadline } from "../core/deadline.ts";
import { log, loggablePath } from "../core/log.ts";
import { Problem, problemResponse } from "../core/problem.ts";
import type { Stores } from "../db/client.ts";
import type { AppEnv } from "../http/context.ts";
import { defineRoute, endpoint, jsonContent, problemContent, type Endpoint } from "../http/route.ts";

/** Each store's answer must come within this; a slower one counts as failed. */
export const READY_DEADLINE_MS = 1_000;
/** How long an isolate reuses its last answer (per set of bindings). */
const REUSE_MS = 1_000;

const CHECKS = ["d1", "kv"] as const;
type Check = (typeof CHECKS)[number];
type Outcome = "ok" | "failed";
type Checks = Record<Check, Outcome>;

/** A trivial read of each store: the tenants table (so an unmigrated D1 is not ready) and one KV name. */
const probes: Record<Check, (stores: Stores) => Promise<unknown>> = {
  d1: (stores) => stores.d1.prepare("SELECT 1 FROM tenants LIMIT 1").first(),
  kv: (stores) => stores.kv.get("ready:probe"),
};
const NAMES: Record<Check, string> = { d1: "D1", kv: "KV" };

const ChecksSchema = z.object({ d1: z.enum(["ok", "failed"]), kv: z.enum(["ok", "failed"]) });

const ready = defineRoute("public", {
  operationId: "ready",
  method: "get",
  path: "/ready",
  tags: ["Public"],
  summary: "Readiness: D1 and KV each answer a trivial read (for load balancers and deploy scripts)",
  description: `Each store must answer within ${READY_DEADLINE_MS} ms. An isolate reuses its answer for ${REUSE_MS / 1000} s. /health, by contrast, touches no store.`,
  responses: {
    200: { description: "Ready: every check passed", ...jsonContent(z.object({ status: z.literal("ok"), checks: ChecksSchema })) },
    503: problemContent("Not ready: `checks` says which store failed (store-unavailable, with Retry-After)"),
  },
});

/** One probe, bounded; a failure is logged with its cause and answered as "failed". */
async function probe(check: Check, stores: Stores): Promise<Outcome> {
  try {
    await deadline(probes[check](stores), READY_DEADLINE_MS, `${NAMES[check]} read`);
    return "ok";
  } catch (err) {
    log("warn", "ready.check_failed", { check, error: String(err) });
    return "failed";
  }
}

// Keyed by the env object: the bindings an answer was read from (a test's faulty env is another).
const recent = new WeakMap<object, { at: number; checks: Promise<Checks> }>();

function checkAll(c: Context<AppEnv>): Promise<Checks> {
  const now = Date.now();
  const last = recent.get(c.env);
  if (last && now - last.at < REUSE_MS) return last.checks;
  const stores = c.get("stores");
  const checks = Promise.all(CHECKS.map((check) => probe(check, stores))).then(
    (outcomes) => Object.fromEntries(CHECKS.map((check, i) => [check, outcomes[i]!])) as Checks,
  );
  recent.set(c.env, { at: now, checks });
  return checks;
}

export const readyRoutes: Endpoint[] = [
  endpoint(ready, async (c) => {
    const checks = await checkAll(c);
    const failed = CHECKS.filter((check) => checks[check] !== "ok");
    if (failed.length === 0) return c.json({ status: "ok" as const, checks }, 200);
    const problem = new Problem("store-unavailable", {
      detail: `Not ready: ${failed.map((check) => NAMES[check]).join(" and ")} failed a trivial read (an error, or no answer within ${READY_DEADLINE_MS} ms).`,
      extensions: { checks },
      headers: { "Retry-After": "5" },
    });
    // Written here rather than thrown: onError would log a handled outcome as "unhandled" (the
    // failed check is already logged above, with its cause).
    return problemResponse(problem, c.get("requestId"), loggablePath(c.get("url"))) as never;
  }),
];

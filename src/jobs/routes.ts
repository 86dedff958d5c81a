// Job state for clients (read, list, cancel) and for origins (events). Tenant-scoped: another
// tenant's job is a 404. Platform keys see every tenant's jobs; so do reporter keys of the
// operator's own tenant, because one ingest origin serves every tenant.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { page } from "../admin/paging.ts";
import { IdParam } from "../admin/schemas.ts";
import { jobs, type JobRow } from "../db/schema.ts";
import { defineRoute, jsonContent } from "../http/access.ts";
import type { AppEnv } from "../http/context.ts";
import { log } from "../http/log.ts";
import { Problem } from "../http/problem.ts";
import { isPlatform } from "../keys/scopes.ts";
import { proxyRoutes } from "../proxy/config.ts";
import { forwardToOrigin } from "../proxy/forward.ts";
import { JobEventBody, JobId, JobList, JobListQuery, JobSchema, jobView } from "./schemas.ts";
import { ALLOWED_FROM } from "./states.ts";
import { transition } from "./store.ts";

const getJob = defineRoute("jobs:read", {
  operationId: "getJob",
  method: "get",
  path: "/v1/jobs/{id}",
  tags: ["Jobs"],
  summary: "A job's state",
  request: { params: IdParam(JobId) },
  responses: { 200: { description: "The job", ...jsonContent(JobSchema) }, 404: { description: "No such job" } },
});

const listJobs = defineRoute("jobs:read", {
  operationId: "listJobs",
  method: "get",
  path: "/v1/jobs",
  tags: ["Jobs"],
  summary: "The tenant's jobs, newest first",
  request: { query: JobListQuery },
  responses: { 200: { description: "A page of jobs", ...jsonContent(JobList) } },
});

const cancelJob = defineRoute("jobs:write", {
  operationId: "cancelJob",
  method: "post",
  path: "/v1/jobs/{id}/cancel",
  tags: ["Jobs"],
  summary: "Cancel a pending or running job (the ingest origin is told)",
  request: { params: IdParam(JobId) },
  responses: {
    200: { description: "The cancelled job", ...jsonContent(JobSchema) },
    404: { description: "No such job" },
    409: { description: "The job already finished" },
  },
});

const reportEvent = defineRoute("jobs:report", {
  operationId: "reportJobEvent",
  method: "post",
  path: "/v1/jobs/{id}/events",
  tags: ["Jobs"],
  summary: "For origins: report a job's progress, result or failure",
  description: "pending → running → completed | failed (a pending job may also fail). Anything else is 409; so is a report on a cancelled job, which tells the origin to stop.",
  request: { params: IdParam(JobId), body: { required: true, ...jsonContent(JobEventBody) } },
  responses: {
    200: { description: "The job after the event", ...jsonContent(JobSchema) },
    404: { description: "No such job" },
    409: { description: "Illegal transition" },
  },
});

const noSuchJob = () => new Problem("not-found", { detail: "No such job." });

/** Who may see which tenant's jobs. */
function seesAllTenants(c: Context<AppEnv>, reporting: boolean): boolean {
  const { key, tenant } = c.get("principal");
  return isPlatform(key.scopes) || (reporting && tenant.operator);
}

async function loadJob(c: Context<AppEnv>, id: string, reporting = false): Promise<JobRow> {
  const job = await c.get("stores").db.select().from(jobs).where(eq(jobs.id, id)).get();
  if (!job || (job.tenantId !== c.get("principal").key.tenantId && !seesAllTenants(c, reporting))) throw noSuchJob();
  return job;
}

function illegal(job: JobRow, to: string): Problem {
  return new Problem("invalid-transition", {
    detail: `The job is ${job.status}; it cannot become ${to}.`,
    extensions: { job_status: job.status },
  });
}

export function registerJobRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getJob, async (c) => c.json(jobView(await loadJob(c, c.req.valid("param").id)), 200));

  app.openapi(listJobs, async (c) => {
    const q = c.req.valid("query");
    const where: SQL[] = [];
    if (!seesAllTenants(c, false)) where.push(eq(jobs.tenantId, c.get("principal").key.tenantId));
    if (q.cursor) where.push(lt(jobs.id, q.cursor));
    if (q.status) where.push(eq(jobs.status, q.status));
    const rows = await c
      .get("stores")
      .db.select()
      .from(jobs)
      .where(and(...where))
      .orderBy(desc(jobs.id))
      .limit(q.limit + 1)
      .all();
    const { rows: kept, nextCursor } = page(rows, q.limit);
    return c.json({ data: kept.map(jobView), nextCursor }, 200);
  });

  app.openapi(cancelJob, async (c) => {
    const job = await loadJob(c, c.req.valid("param").id);
    const cancelled = await transition(c.get("stores"), job.id, "cancelled");
    if (!cancelled) throw illegal(job, "cancelled");
    // The origin is told after the fact, after the response: the job is cancelled here whatever
    // it answers, and a later report from it gets 409, which is its cue to stop.
    const route = proxyRoutes(c.env).find((r) => r.name === job.route);
    if (!route) log("warn", "job.cancel_no_route", { jobId: job.id, route: job.route });
    else {
      c.get("defer")(
        forwardToOrigin(c, route, { body: null, jobId: job.id, path: `/v1/jobs/${job.id}/cancel`, method: "POST" })
          .then(async (res) => {
            await res.body?.cancel();
            if (!res.ok) log("warn", "job.cancel_refused_by_origin", { jobId: job.id, status: res.status });
          })
          .catch((err: unknown) => log("warn", "job.cancel_not_forwarded", { jobId: job.id, error: String(err) })),
      );
    }
    return c.json(jobView(cancelled), 200);
  });

  app.openapi(reportEvent, async (c) => {
    const job = await loadJob(c, c.req.valid("param").id, true);
    const event = c.req.valid("json");
    if (!ALLOWED_FROM[event.status].includes(job.status)) throw illegal(job, event.status);
    const updated = await transition(c.get("stores"), job.id, event.status, {
      ...(event.progress !== undefined ? { progress: event.progress } : {}),
      ...(event.result !== undefined ? { result: event.result } : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
    });
    // Lost a race with another report or a cancel: the job moved on meanwhile.
    if (!updated) throw illegal(await loadJob(c, job.id, true), event.status);
    return c.json(jobView(updated), 200);
  });
}

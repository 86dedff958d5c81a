// Job state for clients (read, list, cancel) and for origins (events). Tenant-scoped: another
// tenant's job is a 404. Platform keys see every tenant's jobs; so do reporter keys of the
// operator's own tenant, because one ingest origin serves every tenant.
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { IdParam } from "../http/schemas.ts";
import { findOwned, pageOwned } from "../http/tenant-scope.ts";
import { jobs, type JobRow } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { log } from "../core/log.ts";
import { Problem } from "../core/problem.ts";
import { routeTable } from "../config/route-table.ts";
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
  description: "Another tenant's job is 404; a platform key reads any tenant's.",
  request: { params: IdParam(JobId) },
  responses: { 200: { description: "The job", ...jsonContent(JobSchema) }, 404: { description: "No such job" } },
});

const listJobs = defineRoute("jobs:read", {
  operationId: "listJobs",
  method: "get",
  path: "/v1/jobs",
  tags: ["Jobs"],
  summary: "The tenant's jobs, newest first",
  description: "A platform key (which grants jobs:read) lists every tenant's jobs.",
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

const loadJob = (c: Context<AppEnv>, id: string, reporting = false): Promise<JobRow> => findOwned(c, jobs, id, noSuchJob, { reporting });

function illegal(job: JobRow, to: string): Problem {
  return new Problem("invalid-transition", {
    detail: `The job is ${job.status}; it cannot become ${to}.`,
    extensions: { job_status: job.status },
  });
}

export const jobRoutes: Endpoint[] = [
  endpoint(getJob, async (c) => c.json(jobView(await loadJob(c, c.req.valid("param").id)), 200)),

  endpoint(listJobs, async (c) => {
    const q = c.req.valid("query");
    const { rows: kept, nextCursor } = await pageOwned(c, jobs, q, [q.status ? eq(jobs.status, q.status) : undefined]);
    return c.json({ data: kept.map(jobView), nextCursor }, 200);
  }),

  endpoint(cancelJob, async (c) => {
    const job = await loadJob(c, c.req.valid("param").id);
    const cancelled = await transition(c.get("stores"), job.id, "cancelled");
    if (!cancelled) throw illegal(job, "cancelled");
    // The origin is told after the fact, after the response: the job is cancelled here whatever
    // it answers, and a later report from it gets 409, which is its cue to stop.
    const route = routeTable(c.env).find((r) => r.name === job.route);
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
  }),

  endpoint(reportEvent, async (c) => {
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
  }),
];

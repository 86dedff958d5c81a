// A job route (route.job in the table): record the job, forward the request with its id, answer
// 202 with the job. No job is left hanging: if forwarding fails the job is failed with the cause,
// and the cron sweep fails any job whose origin goes quiet.
import type { Context } from "hono";
import { newId } from "../db/ids.ts";
import { jobs, type JobRow } from "../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { log } from "../core/log.ts";
import { Problem, validationFailed } from "../core/problem.ts";
import type { ProxyRoute } from "../config/route-table.ts";
import { refuseDuplicateMembers } from "../http/stages/body.ts";
import { forwardToOrigin } from "../proxy/forward.ts";
import { failJob } from "./store.ts";
import { IngestBody, jobView } from "./schemas.ts";

export async function ingest(c: Context<AppEnv>, route: ProxyRoute, body: ArrayBuffer | null): Promise<Response> {
  const parsed = parseIngest(body);
  const { key } = c.get("principal");
  const { db } = c.get("stores");
  const now = Date.now();
  const job: JobRow = {
    id: newId("job"),
    tenantId: key.tenantId,
    keyId: key.keyId,
    route: route.name,
    source: parsed.source,
    payload: parsed.payload,
    status: "pending",
    progress: null,
    result: null,
    error: null,
    requestId: c.get("requestId"),
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
  await db.insert(jobs).values(job);

  let origin: Response;
  try {
    origin = await forwardToOrigin(c, route, { body, jobId: job.id });
  } catch (err) {
    if (!(err instanceof Problem && err.kind === "origin-timeout")) {
      // The origin never got it: the job will not run.
      const cause = err instanceof Problem ? err.kind : "forwarding failed";
      await failJob(c.get("stores"), job.id, `could not be forwarded: ${cause}`);
    }
    // A timeout is different: the origin may have taken the job and be slow to say so, so it stays
    // pending, for the origin to report on or the sweep to fail. Either way the answer names the job.
    if (err instanceof Problem) {
      err.options.extensions = { ...err.options.extensions, job_id: job.id };
      err.options.headers = { ...err.options.headers, "X-Keygate-Job-Id": job.id };
    }
    throw err;
  }
  if (!origin.ok) {
    // The origin refused the job: it will never run, so say so now; the origin's answer passes through.
    await failJob(c.get("stores"), job.id, `the ingest origin answered ${origin.status}`);
    origin.headers.set("x-keygate-job-id", job.id);
    return origin;
  }
  await origin.body?.cancel().catch(() => undefined);
  log("info", "job.created", { jobId: job.id, keyId: key.keyId, tenantId: key.tenantId });
  return new Response(JSON.stringify(jobView(job)), {
    status: 202,
    headers: { "content-type": "application/json", "x-keygate-job-id": job.id, location: `/v1/jobs/${job.id}` },
  });
}

/** What a job row stores of the payload; larger ingests pass a reference (a URL) instead. */
export const MAX_JOB_PAYLOAD_BYTES = 512 * 1024;

function parseIngest(body: ArrayBuffer | null) {
  if (body && body.byteLength > MAX_JOB_PAYLOAD_BYTES) {
    throw new Problem("payload-too-large", { detail: `A job's body is limited to ${MAX_JOB_PAYLOAD_BYTES} bytes; send a reference to larger data.` });
  }
  let text: string;
  let json: unknown;
  try {
    // fatal: what is stored must be exactly what the origin gets, so invalid UTF-8 is refused.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body ?? new ArrayBuffer(0));
    json = JSON.parse(text);
  } catch {
    throw new Problem("bad-request", { detail: "The body must be JSON: {\"source\": ..., \"payload\": ...}." });
  }
  // The origin gets the text, not our parse of it: it must not be able to read a member differently.
  refuseDuplicateMembers(text);
  const result = IngestBody.safeParse(json);
  if (!result.success) throw validationFailed(result.error.issues);
  return result.data as { source: string; payload: unknown };
}

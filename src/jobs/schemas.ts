import { z } from "@hono/zod-openapi";
import type { JobRow } from "../db/schema.ts";
import { Id, iso, keyFree, label, PaginationQuery, text } from "../http/schemas.ts";
import { JOB_STATUSES } from "./states.ts";

export const JobId = Id("job").openapi({ example: "job_0Mf3kq2Ax9TuPz0c" });

const json = z.record(z.string(), z.unknown());

export const IngestBody = z
  .object({
    source: label(200).openapi({ description: "Where the data comes from (free text, e.g. a file or feed name).", example: "s3://bucket/2026-11-22.ndjson" }),
    payload: keyFree(z.unknown().refine((v) => v !== undefined, "required")).openapi({ description: "The data or a reference to it; forwarded to the ingest origin as sent." }),
  })
  .strict()
  .openapi("IngestRequest");

export const JobEventBody = z
  .object({
    status: z.enum(["running", "completed", "failed"]),
    progress: keyFree(json).optional(),
    result: keyFree(json).optional(),
    error: text(2000, { multiline: true }).optional(),
  })
  .strict()
  .refine((e) => e.status === "failed" || e.error === undefined, { message: "error is only for status failed", path: ["error"] })
  .openapi("JobEvent");

export const JobSchema = z
  .object({
    id: JobId,
    tenantId: z.string(),
    keyId: z.string(),
    route: z.string(),
    source: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: json.nullable(),
    result: json.nullable(),
    error: z.string().nullable(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Job");

export function jobView(j: JobRow): z.infer<typeof JobSchema> {
  return {
    id: j.id,
    tenantId: j.tenantId,
    keyId: j.keyId,
    route: j.route,
    source: j.source,
    status: j.status,
    progress: j.progress ?? null,
    result: j.result ?? null,
    error: j.error,
    requestId: j.requestId,
    createdAt: iso(j.createdAt)!,
    updatedAt: iso(j.updatedAt)!,
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

export const JobListQuery = PaginationQuery("job").extend({ status: z.enum(JOB_STATUSES).optional() });
export const JobList = z.object({ data: z.array(JobSchema), nextCursor: z.string().nullable() }).openapi("JobList");

// Wire shapes every API route shares: free text that may never hold a key, timestamps, ids,
// pagination, the problem body. Admin and job routes build theirs from these.
import { z } from "@hono/zod-openapi";
import { findKeyLike } from "../core/find-key-like.ts";
import { Problem } from "../core/problem.ts";
import { containsKeyLike } from "../core/redact.ts";
import type { IdPrefix } from "../db/ids.ts";

const KEY_LIKE_MESSAGE = "looks like an API key; never paste a secret here";

/**
 * C0 and C1 controls, DEL, and the bidi formatting characters. Stored text is printed later (the
 * CLI's tables, dashboards, logs), where an escape sequence would rewrite the operator's terminal
 * and a bidi override would show a name other than the one stored.
 */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** The same, but line breaks and tabs are text: an origin's error message may span lines. */
const CONTROL_CHARS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Free text that is stored and echoed. A pasted key would end up in D1, audit and responses. */
export const text = (max: number, opts: { multiline?: boolean } = {}) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !(opts.multiline ? CONTROL_CHARS_BUT_LINES : CONTROL_CHARS).test(s), "must not contain control characters (C0/C1 controls, DEL, bidi overrides)")
    .refine((s) => !containsKeyLike(s), KEY_LIKE_MESSAGE);
export const label = (max: number) => text(max).pipe(z.string().min(1));

/** Structured data that is stored (a job's payload, an event's result): no key-shaped string or
 * member name at any depth. The issue names where it is, never what. */
export const keyFree = <T extends z.ZodType>(schema: T) =>
  schema.superRefine((value, ctx) => {
    const path = findKeyLike(value);
    if (path) ctx.addIssue({ code: "custom", message: KEY_LIKE_MESSAGE, path });
  });

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const ProblemSchema = z
  .object({
    type: z.string().url().openapi({ example: "https://keygate.dev/problems/unknown-key" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string().optional(),
  })
  .passthrough()
  .openapi("Problem");

/** A `<prefix>_…` id (db/ids.ts) as a path or query parameter. */
export const Id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,40}$`), `must be a ${prefix}_ id`);
export const TenantId = Id("ten").openapi({ example: "ten_0Mf3kq2Ax9TuPz0c" });
export const KeyId = Id("key").openapi({ example: "key_0Mf3kq2Ax9TuPz0c" });

/** What a list pages over: its rows' id prefix (db/ids.ts), which is also its cursors'. */
export type ListKind = IdPrefix;

/**
 * A list's `cursor` and `limit`. The cursor is the last id of the previous page, so it must be an
 * id of this list's kind: anything else (garbage, or a job id on /v1/keys) is a 400 `bad-request`
 * rather than a 422 with field errors, because a cursor is the server's token, not a field for the
 * client to correct. Thrown from the schema, so the route's handler never sees a bad one.
 */
export const PaginationQuery = (kind: ListKind) => {
  const shape = new RegExp(`^${kind}_[0-9A-Za-z]{8,40}$`);
  return z.object({
    cursor: z
      .string()
      .optional()
      .superRefine((cursor) => {
        if (cursor === undefined || shape.test(cursor)) return;
        const message = `not a cursor of this list: pass the nextCursor of the previous page (a ${kind}_… id)`;
        throw new Problem("bad-request", { detail: `cursor: ${message}.`, extensions: { errors: [{ path: "cursor", message }] } });
      })
      .openapi({ description: `The \`nextCursor\` of the previous page (a \`${kind}_\` id); anything else is 400.`, pattern: shape.source }),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  });
};

export const IdParam = (schema: z.ZodString) => z.object({ id: schema.openapi({ param: { name: "id", in: "path" } }) });

// Wire shapes every API route shares: free text that may never hold a key, timestamps, ids,
// pagination, the problem body. Admin and job routes build theirs from these.
import { z } from "@hono/zod-openapi";
import { containsKeyLike } from "../core/redact.ts";

/** Free text that is stored and echoed. A pasted key would end up in D1, audit and responses. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !containsKeyLike(s), "looks like an API key; never paste a secret here");
export const label = (max: number) => text(max).pipe(z.string().min(1));

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

export const PaginationQuery = z.object({
  cursor: z.string().max(200).optional().openapi({ description: "The `nextCursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const IdParam = (schema: z.ZodString) => z.object({ id: schema.openapi({ param: { name: "id", in: "path" } }) });

// Wire shapes of /v1/operators.
import { z } from "@hono/zod-openapi";
import type { OperatorRow } from "../db/people-schema.ts";
import { Id, iso, PaginationQuery, TenantId } from "../http/schemas.ts";
import { ROLES } from "../people/operator.ts";

export const OperatorId = Id("opr").openapi({ example: "opr_0Mf3kq2Ax9TuPz0c" });

const Role = z.enum(ROLES).openapi({
  description: "owner: everything in its reach, operators included; admin: keys, jobs, alerts, usage; viewer: read only.",
});

// The address Access reports for the person, compared lower-cased.
const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((s) => s.toLowerCase())
  .openapi({ example: "ada@example.com" });

export const OperatorSchema = z
  .object({
    id: OperatorId,
    email: z.string(),
    role: Role,
    tenantId: z.string().nullable().openapi({ description: "null: the whole platform; else confined to this tenant as its admin keys are." }),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSeenAt: z.string().nullable().openapi({ description: "Last request through Cloudflare Access (to within 5 minutes)." }),
  })
  .openapi("Operator");

export const CreateOperatorBody = z
  .object({
    email: Email,
    role: Role,
    tenantId: TenantId.optional().openapi({ description: "The tenant the operator is confined to; omit for the whole platform." }),
  })
  .strict()
  .openapi("CreateOperator");

export const UpdateOperatorBody = z.object({ role: Role }).strict().openapi("UpdateOperator");

export const OperatorListQuery = PaginationQuery("opr").extend({ tenantId: TenantId.optional().openapi({ description: "Only this tenant's operators." }) });
export const OperatorList = z.object({ data: z.array(OperatorSchema), nextCursor: z.string().nullable() }).openapi("OperatorList");

export const operatorView = (o: OperatorRow): z.infer<typeof OperatorSchema> => ({
  id: o.id,
  email: o.email,
  role: o.role,
  tenantId: o.tenantId,
  createdAt: iso(o.createdAt)!,
  updatedAt: iso(o.updatedAt)!,
  lastSeenAt: iso(o.lastSeenAt),
});

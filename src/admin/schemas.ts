// Wire shapes of the admin API. Timestamps are ISO 8601 on the wire and epoch ms in D1.
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow, AuditRow, KeySecretRow, TenantRow } from "../db/schema.ts";
import { iso, KeyId, label, PaginationQuery, TenantId, text } from "../http/schemas.ts";
import { PERMISSION_SETS, SCOPES } from "../keys/scopes.ts";
import { effectiveLimits, PLAN_NAMES, rateLimitOf } from "../tenants/plans.ts";

export const ScopeSchema = z.enum(SCOPES).openapi("Scope");
export const PermissionSetNameSchema = z
  .enum(Object.keys(PERMISSION_SETS) as [keyof typeof PERMISSION_SETS, ...(keyof typeof PERMISSION_SETS)[]])
  .openapi("PermissionSetName");

export const RateLimitSchema = z
  .object({
    capacity: z.number().int().min(1).max(1_000_000).openapi({ description: "Bucket size: the largest burst.", example: 20 }),
    refillPerSecond: z
      .number()
      .min(0.001) // below it the policy window (capacity ÷ refill) stops being a sane number
      .max(100_000)
      .openapi({ description: "Tokens added per second.", example: 10 }),
  })
  .strict()
  .openapi("RateLimit");

const futureTimestamp = z
  .string()
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) > Date.now(), "must be in the future")
  .openapi({ example: "2027-01-01T00:00:00Z" });

const booleanQuery = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .optional();

// ---- tenants ----
export const PlanSchema = z.enum(PLAN_NAMES).openapi("Plan");
const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "lowercase letters, digits and inner hyphens, at most 63");

export const CreateTenantBody = z
  .object({
    name: label(100),
    slug,
    plan: PlanSchema.default("free"),
    rateLimit: RateLimitSchema.optional(),
    monthlyQuota: z.number().int().min(1).optional(),
    maxKeys: z.number().int().min(1).max(100_000).optional(),
  })
  .strict()
  .openapi("CreateTenant");

export const UpdateTenantBody = z
  .object({
    name: label(100),
    plan: PlanSchema,
    active: z.boolean(),
    rateLimit: RateLimitSchema.nullable().openapi({ description: "null returns to the plan's default." }),
    monthlyQuota: z.number().int().min(1).nullable(),
    maxKeys: z.number().int().min(1).max(100_000).nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" })
  .openapi("UpdateTenant");

export const TenantSchema = z
  .object({
    id: TenantId,
    name: z.string(),
    slug: z.string(),
    plan: PlanSchema,
    active: z.boolean(),
    overrides: z.object({
      rateLimit: RateLimitSchema.nullable(),
      monthlyQuota: z.number().nullable(),
      maxKeys: z.number().nullable(),
    }),
    effective: z.object({ rateLimit: RateLimitSchema, monthlyQuota: z.number().nullable(), maxKeys: z.number() }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Tenant");

export function tenantView(t: TenantRow): z.infer<typeof TenantSchema> {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    plan: t.plan,
    active: t.active,
    overrides: {
      rateLimit: rateLimitOf(t.rateLimitCapacity, t.rateLimitRefillPerSecond),
      monthlyQuota: t.monthlyQuota,
      maxKeys: t.maxKeys,
    },
    effective: effectiveLimits(t),
    createdAt: iso(t.createdAt)!,
    updatedAt: iso(t.updatedAt)!,
  };
}

export const TenantListQuery = PaginationQuery.extend({ active: booleanQuery });
export const TenantList = z.object({ data: z.array(TenantSchema), nextCursor: z.string().nullable() }).openapi("TenantList");

// ---- keys ----
const scopeList = z.array(ScopeSchema).min(1).max(SCOPES.length);

export const CreateKeyBody = z
  .object({
    name: label(100),
    description: text(500).optional(),
    scopes: scopeList.optional(),
    permissionSet: PermissionSetNameSchema.optional(),
    tenantId: TenantId.optional().openapi({ description: "Platform keys only; defaults to the caller's tenant." }),
    environment: z.enum(["live", "test"]).default("live"),
    expiresAt: futureTimestamp.optional(),
    rateLimit: RateLimitSchema.optional().openapi({ description: "Overrides the tenant plan's rate limit." }),
    monthlyQuota: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((b) => (b.scopes === undefined) !== (b.permissionSet === undefined), {
    message: "give exactly one of scopes or permissionSet",
    path: ["scopes"],
  })
  .openapi("CreateKey");

export const UpdateKeyBody = z
  .object({
    name: label(100),
    description: text(500).nullable(),
    scopes: scopeList,
    enabled: z.boolean(),
    expiresAt: futureTimestamp.nullable(),
    rateLimit: RateLimitSchema.nullable(),
    monthlyQuota: z.number().int().min(1).nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" })
  .openapi("UpdateKey");

export const RevokeKeyBody = z
  .object({ reason: label(500).optional() })
  .strict()
  .openapi("RevokeKey");

export const MAX_GRACE_SECONDS = 7 * 24 * 3600;
export const DEFAULT_GRACE_SECONDS = 24 * 3600;
export const RollKeyBody = z
  .object({
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .default(DEFAULT_GRACE_SECONDS)
      .openapi({ description: "How long the old secret keeps working (at most 7 days).", example: 86400 }),
  })
  .strict()
  .openapi("RollKey");

export const KeySchema = z
  .object({
    id: KeyId,
    tenantId: TenantId,
    name: z.string(),
    description: z.string().nullable(),
    environment: z.enum(["live", "test"]),
    scopes: z.array(z.string()),
    start: z.string().openapi({ description: "The first characters of the current secret, for recognition.", example: "kg_live_4f8Q" }),
    hint: z.string().openapi({ description: "The last four characters of the current secret.", example: "x9Zb" }),
    rateLimit: RateLimitSchema.nullable(),
    monthlyQuota: z.number().nullable(),
    expiresAt: z.string().nullable(),
    enabled: z.boolean(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    revokeReason: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    updatedAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi("Key");

export const CreatedKeySchema = KeySchema.extend({
  key: z.string().openapi({ description: "The secret. Shown once: store it now.", example: "kg_live_…" }),
}).openapi("CreatedKey");

export const RolledKeySchema = CreatedKeySchema.extend({
  previousSecretExpiresAt: z.string().openapi({ description: "When the secret it replaces stops working." }),
}).openapi("RolledKey");

export function keyView(k: ApiKeyRow, current: Pick<KeySecretRow, "prefix" | "hint">): z.infer<typeof KeySchema> {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    description: k.description,
    environment: k.environment,
    scopes: k.scopes,
    start: current.prefix,
    hint: current.hint,
    rateLimit: rateLimitOf(k.rateLimitCapacity, k.rateLimitRefillPerSecond),
    monthlyQuota: k.monthlyQuota,
    expiresAt: iso(k.expiresAt),
    enabled: k.enabled,
    revokedAt: iso(k.revokedAt),
    revokedBy: k.revokedBy,
    revokeReason: k.revokeReason,
    createdAt: iso(k.createdAt)!,
    createdBy: k.createdBy,
    updatedAt: iso(k.updatedAt)!,
    lastUsedAt: iso(k.lastUsedAt),
  };
}

export const KeyListQuery = PaginationQuery.extend({
  enabled: booleanQuery,
  revoked: booleanQuery,
  environment: z.enum(["live", "test"]).optional(),
  tenantId: TenantId.optional().openapi({ description: "Platform keys only." }),
});
export const KeyList = z.object({ data: z.array(KeySchema), nextCursor: z.string().nullable() }).openapi("KeyList");

// ---- audit ----
export const AuditEntrySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    actorKeyId: z.string().nullable(),
    actorTenantId: z.string().nullable(),
    action: z.string().openapi({ example: "key.revoke" }),
    targetType: z.enum(["tenant", "key"]),
    targetId: z.string(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    at: z.string(),
  })
  .openapi("AuditEntry");

export function auditView(a: AuditRow): z.infer<typeof AuditEntrySchema> {
  return { ...a, at: iso(a.at)! };
}

export const AuditQuery = PaginationQuery.extend({
  targetId: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  tenantId: TenantId.optional().openapi({ description: "Platform keys only." }),
});
export const AuditList = z.object({ data: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }).openapi("AuditList");

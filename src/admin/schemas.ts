// Wire shapes of the admin API. Timestamps are ISO 8601 on the wire and epoch ms in D1.
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow, AuditRow, KeySecretRow } from "../db/schema.ts";
import { iso, KeyId, label, PaginationQuery, TenantId, text } from "../http/schemas.ts";
import { PERMISSION_SETS, SCOPES } from "../keys/scopes.ts";
import { rulesOfRow } from "../keys/snapshot.ts";
import { rateLimitOf } from "../tenants/plans.ts";
import { cidrList, resourceMap } from "./access-rules-schemas.ts";
import { RateLimitSchema, RateLimitViewSchema, rateViewOrNull } from "./rate-limits.ts";

export const ScopeSchema = z.enum(SCOPES).openapi("Scope");
export const PermissionSetNameSchema = z
  .enum(Object.keys(PERMISSION_SETS) as [keyof typeof PERMISSION_SETS, ...(keyof typeof PERMISSION_SETS)[]])
  .openapi("PermissionSetName");

export { RateLimitSchema };
// Tenants have their own file; their shapes are also reachable from here.
export { CreateTenantBody, PlanSchema, TenantList, TenantListQuery, TenantSchema, tenantView, UpdateTenantBody } from "./tenant-schemas.ts";

const futureTimestamp = z
  .string()
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) > Date.now(), "must be in the future")
  .openapi({ example: "2027-01-01T00:00:00Z" });

const booleanQuery = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .optional();

// ---- keys ----
const scopeList = z.array(ScopeSchema).min(1).max(SCOPES.length);

// Access rules (README "Access rules"): the same fields on create, update and the key's view.
const RULE_DOCS = {
  resources: ["Which resources the key may touch, per type.", "every resource"],
  allowedIps: ["The only networks the key may be used from (its tenant's rules apply too).", "any network"],
  deniedIps: ["Networks the key may never be used from, whatever an allowlist says.", "none"],
} as const;
/** The field's description; `unset` says what null (or leaving it out on create) means. */
const ruleDoc = (field: keyof typeof RULE_DOCS, unset: "null" | "left out") => `${RULE_DOCS[field][0]} ${unset === "null" ? "null" : "Left out"}: ${RULE_DOCS[field][1]}.`;

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
    resources: resourceMap(`${RULE_DOCS.resources[0]} Left out: the permission set's, if it has some, else every resource.`).optional(),
    allowedIps: cidrList(ruleDoc("allowedIps", "left out")).optional(),
    deniedIps: cidrList(ruleDoc("deniedIps", "left out")).optional(),
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
    resources: resourceMap(`${ruleDoc("resources", "null")} Replaces the whole map.`).nullable(),
    allowedIps: cidrList(ruleDoc("allowedIps", "null")).nullable(),
    deniedIps: cidrList(ruleDoc("deniedIps", "null")).nullable(),
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
    start: z
      .string()
      .nullable()
      .openapi({ description: "The first characters of the current secret, for recognition; null once the key is deleted.", example: "kg_live_4f8Q" }),
    hint: z.string().nullable().openapi({ description: "The last four characters of the current secret; null once the key is deleted.", example: "x9Zb" }),
    rateLimit: RateLimitViewSchema.nullable(),
    monthlyQuota: z.number().nullable(),
    resources: resourceMap(ruleDoc("resources", "null")).nullable(),
    allowedIps: cidrList(ruleDoc("allowedIps", "null")).nullable(),
    deniedIps: cidrList(ruleDoc("deniedIps", "null")).nullable(),
    expiresAt: z.string().nullable(),
    enabled: z.boolean(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    revokeReason: z.string().nullable(),
    deletedAt: z.string().nullable().openapi({ description: "Set on a deleted key's tombstone: it is revoked and its secrets are erased." }),
    deletedBy: z.string().nullable().openapi({ description: "The key that deleted it; null when the retention sweep did." }),
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

/** `current`: the key's newest secret, null for a deleted key (its secrets are erased). */
export function keyView(k: ApiKeyRow, current: Pick<KeySecretRow, "prefix" | "hint"> | null): z.infer<typeof KeySchema> {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    description: k.description,
    environment: k.environment,
    scopes: k.scopes,
    start: current?.prefix ?? null,
    hint: current?.hint ?? null,
    rateLimit: rateViewOrNull(rateLimitOf(k.rateLimitCapacity, k.rateLimitRefillPerSecond)),
    monthlyQuota: k.monthlyQuota,
    ...rulesOfRow(k),
    expiresAt: iso(k.expiresAt),
    enabled: k.enabled,
    revokedAt: iso(k.revokedAt),
    revokedBy: k.revokedBy,
    revokeReason: k.revokeReason,
    deletedAt: iso(k.deletedAt),
    deletedBy: k.deletedBy,
    createdAt: iso(k.createdAt)!,
    createdBy: k.createdBy,
    updatedAt: iso(k.updatedAt)!,
    lastUsedAt: iso(k.lastUsedAt),
  };
}

export const KeyListQuery = PaginationQuery("key").extend({
  enabled: booleanQuery,
  revoked: booleanQuery,
  deleted: booleanQuery.openapi({ description: "true lists only deleted keys (tombstones); otherwise they are left out." }),
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
    actor: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("key"), id: z.string() }),
        z.object({ type: z.literal("operator"), email: z.string() }),
        z.object({ type: z.literal("system") }),
      ])
      .openapi({ description: "Who acted: a key, a person (an operator signed in through Cloudflare Access), or keygate itself (the cron, bootstrap)." }),
    action: z.string().openapi({ example: "key.revoke" }),
    targetType: z.enum(["tenant", "key", "alert", "operator"]),
    targetId: z.string(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    at: z.string(),
  })
  .openapi("AuditEntry");

export function auditView({ actorEmail, ...a }: AuditRow): z.infer<typeof AuditEntrySchema> {
  const actor = actorEmail !== null ? { type: "operator" as const, email: actorEmail } : a.actorKeyId !== null ? { type: "key" as const, id: a.actorKeyId } : { type: "system" as const };
  return { ...a, actor, at: iso(a.at)! };
}

export const AuditQuery = PaginationQuery("aud").extend({
  targetId: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  tenantId: TenantId.optional().openapi({ description: "Platform keys only." }),
});
export const AuditList = z.object({ data: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }).openapi("AuditList");

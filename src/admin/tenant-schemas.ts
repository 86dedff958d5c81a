// Wire shapes of the tenant routes (and the tenant in /v1/auth/me). Timestamps are ISO 8601 on
// the wire and epoch ms in D1.
import { z } from "@hono/zod-openapi";
import type { TenantRow } from "../db/schema.ts";
import { iso, PaginationQuery, TenantId, label, text } from "../http/schemas.ts";
import { effectiveLimits, PLAN_NAMES, pricePer1kTokens, rateLimitOf } from "../tenants/plans.ts";
import { cidrList } from "./access-rules-schemas.ts";
import { RateLimitSchema, RateLimitViewSchema, rateView, rateViewOrNull } from "./rate-limits.ts";

export const PlanSchema = z.enum(PLAN_NAMES).openapi("Plan");
const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "lowercase letters, digits and inner hyphens, at most 63");
// Stored text first (no control characters, nothing key-shaped: an address's local part may
// hold underscores and look like a key), then the address's form.
const contactEmail = text(254)
  .pipe(z.email({ message: "must be an email address" }))
  .openapi({ description: "Who to contact about the tenant.", example: "ops@acme.example" });
const tenantDescription = text(500).openapi({ description: "Free text for operators, shown with the tenant." });
const price = z
  .number()
  .min(0)
  .max(1000)
  .nullable()
  .openapi({ description: "USD per 1,000 tokens of cost, for cost estimates (analytics, usage); null is the plan's price.", example: 0.0015 });
// Every key of the tenant is held to these as well as to its own (README "Access rules").
const allowedIps = cidrList("The only networks any of the tenant's keys may be used from (their own rules apply too). null or left out: any network.");
const deniedIps = cidrList("Networks none of the tenant's keys may be used from, whatever an allowlist says. null or left out: none.");

export const CreateTenantBody = z
  .object({
    name: label(100),
    slug,
    email: contactEmail.optional(),
    description: tenantDescription.optional(),
    plan: PlanSchema.default("free"),
    rateLimit: RateLimitSchema.optional().openapi({ description: "Each key's default bucket (overrides the plan's)." }),
    tenantRateLimit: RateLimitSchema.optional().openapi({ description: "The bucket all of the tenant's keys share (overrides the plan's)." }),
    monthlyQuota: z.number().int().min(1).optional(),
    maxKeys: z.number().int().min(1).max(100_000).optional(),
    pricePer1kTokens: price.optional(),
    allowedIps: allowedIps.optional(),
    deniedIps: deniedIps.optional(),
  })
  .strict()
  .openapi("CreateTenant");

export const UpdateTenantBody = z
  .object({
    name: label(100),
    plan: PlanSchema,
    active: z.boolean(),
    email: contactEmail.nullable(),
    description: tenantDescription.nullable(),
    rateLimit: RateLimitSchema.nullable().openapi({ description: "Each key's default bucket; null returns to the plan's." }),
    tenantRateLimit: RateLimitSchema.nullable().openapi({ description: "The bucket the tenant's keys share; null returns to the plan's." }),
    monthlyQuota: z.number().int().min(1).nullable(),
    maxKeys: z.number().int().min(1).max(100_000).nullable(),
    pricePer1kTokens: price,
    allowedIps: allowedIps.nullable(),
    deniedIps: deniedIps.nullable(),
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
    email: z.string().nullable(),
    description: z.string().nullable(),
    overrides: z.object({
      rateLimit: RateLimitViewSchema.nullable(),
      tenantRateLimit: RateLimitViewSchema.nullable(),
      monthlyQuota: z.number().nullable(),
      maxKeys: z.number().nullable(),
    }),
    effective: z.object({ rateLimit: RateLimitViewSchema, tenantRateLimit: RateLimitViewSchema, monthlyQuota: z.number().nullable(), maxKeys: z.number() }),
    pricePer1kTokens: z.number().openapi({ description: "USD per 1,000 tokens of cost: the tenant's own price, else its plan's.", example: 0.002 }),
    priceSource: z.enum(["tenant", "plan"]).openapi({ description: "Whether pricePer1kTokens is the tenant's own (set with PATCH) or its plan's." }),
    costUsdMonthToDate: z
      .number()
      .optional()
      .openapi({ description: "This UTC month's tokens at the current price, in USD (tenant routes; not in /v1/auth/me)." }),
    allowedIps: allowedIps.nullable(),
    deniedIps: deniedIps.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Tenant");

function effectiveView(t: TenantRow) {
  const limits = effectiveLimits(t);
  return { ...limits, rateLimit: rateView(limits.rateLimit), tenantRateLimit: rateView(limits.tenantRateLimit) };
}

/** `costUsdMonthToDate`: given by the tenant routes, which read it from the rollups. */
export function tenantView(t: TenantRow, costUsdMonthToDate?: number): z.infer<typeof TenantSchema> {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    plan: t.plan,
    active: t.active,
    email: t.email,
    description: t.description,
    overrides: {
      rateLimit: rateViewOrNull(rateLimitOf(t.rateLimitCapacity, t.rateLimitRefillPerSecond)),
      tenantRateLimit: rateViewOrNull(rateLimitOf(t.tenantRateLimitCapacity, t.tenantRateLimitRefillPerSecond)),
      monthlyQuota: t.monthlyQuota,
      maxKeys: t.maxKeys,
    },
    effective: effectiveView(t),
    pricePer1kTokens: pricePer1kTokens(t),
    priceSource: t.pricePer1kTokens === null ? "plan" : "tenant",
    ...(costUsdMonthToDate === undefined ? {} : { costUsdMonthToDate }),
    allowedIps: t.allowedIps,
    deniedIps: t.deniedIps,
    createdAt: iso(t.createdAt)!,
    updatedAt: iso(t.updatedAt)!,
  };
}

export const TenantListQuery = PaginationQuery("ten").extend({
  active: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});
export const TenantList = z.object({ data: z.array(TenantSchema), nextCursor: z.string().nullable() }).openapi("TenantList");

// D1 is the source of truth for tenants, keys and the audit trail. Caches (isolate memory, KV) hold
// copies keyed by the secret's hash; see src/keys/lookup.ts for how they are kept honest.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const tenants = sqliteTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    plan: text("plan", { enum: ["free", "pro", "enterprise"] }).notNull(),
    /** Who to contact about the tenant. */
    email: text("email"),
    description: text("description"),
    // Per-tenant overrides of the plan defaults; null means "use the plan's value".
    // The default bucket of each of the tenant's keys...
    rateLimitCapacity: integer("rate_limit_capacity"),
    rateLimitRefillPerSecond: real("rate_limit_refill_per_second"),
    // ...and the bucket all of its keys share.
    tenantRateLimitCapacity: integer("tenant_rate_limit_capacity"),
    tenantRateLimitRefillPerSecond: real("tenant_rate_limit_refill_per_second"),
    monthlyQuota: integer("monthly_quota"),
    maxKeys: integer("max_keys"),
    /** USD per 1,000 tokens of cost; null means the plan's price. */
    pricePer1kTokens: real("price_per_1k_tokens"),
    /** CIDR lists every key of the tenant is also held to (keys/access-rules.ts); null: none. */
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[]>(),
    deniedIps: text("denied_ips", { mode: "json" }).$type<string[]>(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("tenants_slug_unique").on(t.slug)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    description: text("description"),
    environment: text("environment", { enum: ["live", "test"] }).notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    rateLimitCapacity: integer("rate_limit_capacity"),
    rateLimitRefillPerSecond: real("rate_limit_refill_per_second"),
    monthlyQuota: integer("monthly_quota"),
    expiresAt: integer("expires_at"),
    /** Per resource type, the ids the key may touch (keys/access-rules.ts); null: every resource. */
    resources: text("resources", { mode: "json" }).$type<Record<string, string[]>>(),
    /** CIDR lists (keys/access-rules.ts); null: no rule. */
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[]>(),
    deniedIps: text("denied_ips", { mode: "json" }).$type<string[]>(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
    revokeReason: text("revoke_reason"),
    /** A deleted key is a tombstone: revoked, its secrets' hashes erased, its row and usage kept. */
    deletedAt: integer("deleted_at"),
    deletedBy: text("deleted_by"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by"),
    updatedAt: integer("updated_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    /** Flushed from the key's Durable Object with lastUsedAt, never written per request. */
    totalRequests: integer("total_requests").notNull().default(0),
  },
  (t) => [
    // A name identifies a live key within its tenant; a revoked key frees its name.
    uniqueIndex("api_keys_tenant_name_unique")
      .on(t.tenantId, t.name)
      .where(sql`revoked_at IS NULL`),
    index("api_keys_tenant_id_idx").on(t.tenantId, t.id),
  ],
);

// A key has one or more secrets: one normally, two during a roll's grace period. Only the SHA-256
// of a secret is stored, with a display prefix and the last four characters as a hint.
export const keySecrets = sqliteTable(
  "key_secrets",
  {
    hash: text("hash").primaryKey(),
    keyId: text("key_id")
      .notNull()
      .references(() => apiKeys.id),
    prefix: text("prefix").notNull(),
    hint: text("hint").notNull(),
    createdAt: integer("created_at").notNull(),
    // Set when the secret is rolled: it keeps working until then.
    expiresAt: integer("expires_at"),
  },
  (t) => [index("key_secrets_key_id_idx").on(t.keyId)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    actorKeyId: text("actor_key_id"),
    actorTenantId: text("actor_tenant_id"),
    /** Set when the actor was a person (an operator): actor_key_id then holds the operator's id. */
    actorEmail: text("actor_email"),
    action: text("action").notNull(),
    targetType: text("target_type", { enum: ["tenant", "key", "alert", "operator"] }).notNull(),
    targetId: text("target_id").notNull(),
    ip: text("ip"),
    requestId: text("request_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    at: integer("at").notNull(),
  },
  (t) => [index("audit_log_tenant_idx").on(t.tenantId, t.id)],
);

// Usage per key, UTC day and route, flushed in batches by the key's Durable Object.
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    keyId: text("key_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    day: text("day").notNull(),
    route: text("route").notNull(),
    requests: integer("requests").notNull().default(0),
    refused: integer("refused").notNull().default(0),
    status2xx: integer("status_2xx").notNull().default(0),
    status3xx: integer("status_3xx").notNull().default(0),
    status4xx: integer("status_4xx").notNull().default(0),
    status5xx: integer("status_5xx").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day, t.route] }), index("usage_daily_tenant_day_idx").on(t.tenantId, t.day)],
);

// One row per applied flush: a flush retried by an at-least-once alarm is refused as a whole.
export const usageFlushes = sqliteTable(
  "usage_flushes",
  {
    keyId: text("key_id").notNull(),
    seq: integer("seq").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.seq] })],
);

// Ingest jobs. State machine in src/jobs/states.ts; every transition is a guarded UPDATE.
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    keyId: text("key_id").notNull(),
    route: text("route").notNull(),
    source: text("source").notNull(),
    payload: text("payload", { mode: "json" }).$type<unknown>(),
    status: text("status", { enum: ["pending", "running", "completed", "failed", "cancelled"] }).notNull(),
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error"),
    requestId: text("request_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("jobs_tenant_idx").on(t.tenantId, t.id), index("jobs_status_updated_idx").on(t.status, t.updatedAt)],
);

// Idempotency-Key records, scoped to the tenant: the first request's response, replayed to repeats.
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    /** Who holds an in-flight record: only that request may complete or release it. */
    claim: text("claim").notNull(),
    status: integer("status"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>(),
    body: text("body"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), index("idempotency_expires_idx").on(t.expiresAt)],
);

export type JobRow = typeof jobs.$inferSelect;

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type KeySecretRow = typeof keySecrets.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

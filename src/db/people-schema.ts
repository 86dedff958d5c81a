// People who operate keygate (signed in through Cloudflare Access) and the console's sessions.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const operators = sqliteTable(
  "operators",
  {
    id: text("id").primaryKey(),
    /** Lower-cased: Access reports the address as the identity provider spells it. */
    email: text("email").notNull(),
    role: text("role", { enum: ["owner", "admin", "viewer"] }).notNull(),
    /** null: the whole platform. */
    tenantId: text("tenant_id"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by"),
    updatedAt: integer("updated_at").notNull(),
    lastSeenAt: integer("last_seen_at"),
  },
  (t) => [uniqueIndex("operators_email_idx").on(t.email), index("operators_tenant_idx").on(t.tenantId, t.id)],
);

// A console session opened with a key. The browser holds a random token; this row holds its
// SHA-256, never the token, and the key's hash, never the key: a copy of this table opens nothing.
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    /** SHA-256 (hex) of the cookie's token. */
    id: text("id").primaryKey(),
    keyId: text("key_id").notNull(),
    keyHash: text("key_hash").notNull(),
    /** Sent back as X-CSRF-Token on every state-changing request of the session. */
    csrf: text("csrf").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    endedAt: integer("ended_at"),
  },
  (t) => [index("console_sessions_expires_idx").on(t.expiresAt)],
);

export type OperatorRow = typeof operators.$inferSelect;
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

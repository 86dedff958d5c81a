// The API's wire shapes as the console reads them: inferred from the routes' own schemas, so a page
// cannot drift from what the API answers.
import type { z } from "@hono/zod-openapi";
import type { AuditEntrySchema, KeySchema, TenantSchema } from "../admin/schemas.ts";
import type { AlertEventSchema, AlertSchema } from "../insight/alert-schemas.ts";
import type { AnalyticsSeries, Offenders } from "../insight/analytics-schemas.ts";
import type { JobSchema } from "../jobs/schemas.ts";
import type { Role } from "../people/operator.ts";

export type Key = z.infer<typeof KeySchema>;
export type Tenant = z.infer<typeof TenantSchema>;
export type Job = z.infer<typeof JobSchema>;
export type Alert = z.infer<typeof AlertSchema>;
export type AlertEvent = z.infer<typeof AlertEventSchema>;
export type Series = z.infer<typeof AnalyticsSeries>;
export type OffenderList = z.infer<typeof Offenders>;

/** Who did it: a key, or a person signed in through Access (older entries name only the key). */
export type Actor = { type: "key"; id: string } | { type: "operator"; email: string };
export type AuditEntry = z.infer<typeof AuditEntrySchema> & { actor?: Actor | null };

export type Operator = {
  id: string;
  email: string;
  role: Role;
  tenantId: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
};

export type Page<T> = { data: T[]; nextCursor: string | null };

/** GET /v1/auth/me: a key's own record, or a person's (operator set, key null). */
export type Me = {
  key: Key | null;
  tenant: Tenant | null;
  operator?: { email: string; role: Role; tenantId: string | null } | null;
};

export type UsageTotals = { requests: number; refused: number; cost: number; costUsd: number };
export type UsageRoute = { route: string; requests: number; refused: number; status2xx: number; status4xx: number; status5xx: number };
export type Usage = { from: string; to: string; totals: UsageTotals; routes: UsageRoute[] };

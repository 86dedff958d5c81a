import { eq } from "drizzle-orm";
import { auditLog } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint } from "../http/route.ts";
import { isPlatform } from "../keys/scopes.ts";
import { pageOwned } from "../http/tenant-scope.ts";
import { AuditList, AuditQuery, auditView } from "./schemas.ts";

const listAudit = defineRoute("admin", {
  operationId: "listAudit",
  method: "get",
  path: "/v1/audit",
  tags: ["Audit"],
  summary: "Who did what to which key or tenant, newest first",
  description: "Tenant admins see their own tenant's trail; platform keys see every tenant's unless they name one.",
  request: { query: AuditQuery },
  responses: { 200: { description: "A page of audit entries", content: { "application/json": { schema: AuditList } } } },
});

export const auditRoutes: Endpoint[] = [
  endpoint(listAudit, async (c) => {
    const q = c.req.valid("query");
    const { rows: kept, nextCursor } = await pageOwned(c, auditLog, q, [
      q.targetId ? eq(auditLog.targetId, q.targetId) : undefined,
      q.action ? eq(auditLog.action, q.action) : undefined,
    ]);
    return c.json({ data: kept.map(auditView), nextCursor }, 200);
  }),
];

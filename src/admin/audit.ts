import type { OpenAPIHono } from "@hono/zod-openapi";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { auditLog } from "../db/schema.ts";
import { defineRoute } from "../http/access.ts";
import type { AppEnv } from "../http/context.ts";
import { isPlatform } from "../keys/scopes.ts";
import { actingTenant } from "./key-access.ts";
import { page } from "./paging.ts";
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

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listAudit, async (c) => {
    const q = c.req.valid("query");
    const { key: caller } = c.get("principal");
    const where: SQL[] = [];
    if (q.tenantId !== undefined) where.push(eq(auditLog.tenantId, actingTenant(c, q.tenantId)));
    else if (!isPlatform(caller.scopes)) where.push(eq(auditLog.tenantId, caller.tenantId));
    if (q.cursor) where.push(lt(auditLog.id, q.cursor));
    if (q.targetId) where.push(eq(auditLog.targetId, q.targetId));
    if (q.action) where.push(eq(auditLog.action, q.action));
    const rows = await c
      .get("stores")
      .db.select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(q.limit + 1)
      .all();
    const { rows: kept, nextCursor } = page(rows, q.limit);
    return c.json({ data: kept.map(auditView), nextCursor }, 200);
  });
}

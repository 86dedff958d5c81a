// Operators: the people who sign in through Cloudflare Access. Platform scope: a platform key or a
// platform-wide operator (owners change them, every role reads; people/roles.ts). A tenant's people
// are added by the platform, as its tenant is. Every change is audited.
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { Problem } from "../core/problem.ts";
import { newId } from "../db/ids.ts";
import { operators, type OperatorRow } from "../db/people-schema.ts";
import { tenants } from "../db/schema.ts";
import { auditInsert } from "../http/audit-entry.ts";
import type { AppEnv } from "../http/context.ts";
import { defineRoute, endpoint, jsonContent, type Endpoint } from "../http/route.ts";
import { IdParam } from "../http/schemas.ts";
import { actingTenant, findOwned, pageOwned } from "../http/tenant-scope.ts";
import { CreateOperatorBody, OperatorId, OperatorList, OperatorListQuery, OperatorSchema, operatorView, UpdateOperatorBody } from "./operator-schemas.ts";

const TAGS = ["Operators"];
const params = { params: IdParam(OperatorId) };
const notFound = { 404: { description: "No such operator (or another tenant's)" } };
const WHO = "Platform scope: platform keys, and platform-wide operators (owners change, every role reads).";

const createOperator = defineRoute("platform", {
  operationId: "createOperator",
  method: "post",
  path: "/v1/operators",
  tags: TAGS,
  summary: "Add an operator: a person who signs in through Cloudflare Access",
  description: `${WHO} The first owner is added with the platform key (\`keygate operators add\`).`,
  request: { body: { required: true, ...jsonContent(CreateOperatorBody) } },
  responses: {
    201: { description: "Added", ...jsonContent(OperatorSchema) },
    404: { description: "No such tenant" },
    409: { description: "An operator with this e-mail address exists" },
    422: { description: "Invalid body" },
  },
});

const listOperators = defineRoute("platform", {
  operationId: "listOperators",
  method: "get",
  path: "/v1/operators",
  tags: TAGS,
  summary: "List operators, newest first",
  description: WHO,
  request: { query: OperatorListQuery },
  responses: { 200: { description: "A page of operators", ...jsonContent(OperatorList) } },
});

const getOperator = defineRoute("platform", {
  operationId: "getOperator",
  method: "get",
  path: "/v1/operators/{id}",
  tags: TAGS,
  summary: "Get an operator",
  description: WHO,
  request: params,
  responses: { 200: { description: "The operator", ...jsonContent(OperatorSchema) }, ...notFound },
});

const updateOperator = defineRoute("platform", {
  operationId: "updateOperator",
  method: "patch",
  path: "/v1/operators/{id}",
  tags: TAGS,
  summary: "Change an operator's role",
  description: `${WHO} It applies from the operator's next request. Nobody changes their own role.`,
  request: { ...params, body: { required: true, ...jsonContent(UpdateOperatorBody) } },
  responses: { 200: { description: "The operator", ...jsonContent(OperatorSchema) }, ...notFound, 422: { description: "Invalid body" } },
});

const deleteOperator = defineRoute("platform", {
  operationId: "deleteOperator",
  method: "delete",
  path: "/v1/operators/{id}",
  tags: TAGS,
  summary: "Remove an operator",
  description: `${WHO} Their next request through Cloudflare Access is refused (403 not-an-operator). Nobody removes themselves.`,
  request: params,
  responses: { 204: { description: "Removed" }, ...notFound },
});

const load = (c: Context<AppEnv>, id: string) => findOwned(c, operators, id, () => new Problem("not-found", { detail: "No such operator." }));

function notSelf(c: Context<AppEnv>, row: OperatorRow): void {
  if (c.get("principal").operator?.id === row.id) {
    throw new Problem("operator-role", { detail: "Nobody changes or removes themselves; ask another owner." });
  }
}

/** Audit rows of a platform-wide operator belong to the caller's tenant (the platform's). */
const auditTenant = (c: Context<AppEnv>, row: Pick<OperatorRow, "tenantId">) => row.tenantId ?? c.get("principal").key.tenantId;

export const operatorRoutes: Endpoint[] = [
  endpoint(createOperator, async (c) => {
    const body = c.req.valid("json");
    const { key } = c.get("principal");
    // Omitted: the whole platform.
    const tenantId = body.tenantId === undefined ? null : actingTenant(c, body.tenantId);
    const { db } = c.get("stores");
    if (tenantId !== null && tenantId !== key.tenantId && !(await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).get())) {
      throw new Problem("not-found", { detail: "No such tenant." });
    }
    const now = Date.now();
    const row: OperatorRow = { id: newId("opr"), email: body.email, role: body.role, tenantId, createdAt: now, createdBy: c.get("principal").operator?.email ?? key.keyId, updatedAt: now, lastSeenAt: null };
    try {
      await db.batch([
        db.insert(operators).values(row),
        auditInsert(c, db, { tenantId: auditTenant(c, row), action: "operator.create", targetType: "operator", targetId: row.id, details: { email: row.email, role: row.role, tenantId } }, now),
      ]);
    } catch (err) {
      if (/UNIQUE constraint failed: operators\.email/.test(String(err))) throw new Problem("conflict", { detail: "An operator with this e-mail address exists." });
      throw err;
    }
    return c.json(operatorView(row), 201);
  }),

  endpoint(listOperators, async (c) => {
    const q = c.req.valid("query");
    const { rows, nextCursor } = await pageOwned(c, operators, q);
    return c.json({ data: rows.map(operatorView), nextCursor }, 200);
  }),

  endpoint(getOperator, async (c) => {
    return c.json(operatorView(await load(c, c.req.valid("param").id)), 200);
  }),

  endpoint(updateOperator, async (c) => {
    const row = await load(c, c.req.valid("param").id);
    notSelf(c, row);
    const { role } = c.req.valid("json");
    const now = Date.now();
    const { db } = c.get("stores");
    await db.batch([
      db.update(operators).set({ role, updatedAt: now }).where(eq(operators.id, row.id)),
      auditInsert(c, db, { tenantId: auditTenant(c, row), action: "operator.update", targetType: "operator", targetId: row.id, details: { role, was: row.role } }, now),
    ]);
    return c.json(operatorView({ ...row, role, updatedAt: now }), 200);
  }),

  endpoint(deleteOperator, async (c) => {
    const row = await load(c, c.req.valid("param").id);
    notSelf(c, row);
    const { db } = c.get("stores");
    const now = Date.now();
    await db.batch([
      db.delete(operators).where(eq(operators.id, row.id)),
      auditInsert(c, db, { tenantId: auditTenant(c, row), action: "operator.delete", targetType: "operator", targetId: row.id, details: { email: row.email, role: row.role } }, now),
    ]);
    return c.body(null, 204);
  }),
];

// What a key can learn about itself and its options, with any valid key or an admin one.
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { tenants } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { PERMISSION_SETS, permissionSetResources, type PermissionSetName } from "../keys/scopes.ts";
import { loadKey } from "./key-access.ts";
import { KeySchema, keyView, TenantSchema, tenantView } from "./schemas.ts";

const Me = z.object({ key: KeySchema, tenant: TenantSchema }).openapi("Me");
const PermissionSets = z
  .object({
    data: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        scopes: z.array(z.string()),
        resources: z.record(z.string(), z.array(z.string())).nullable().openapi({ description: "What a key made from the set may touch (null: every resource)." }),
      }),
    ),
  })
  .openapi("PermissionSets");

const me = defineRoute("authenticated", {
  operationId: "getCaller",
  method: "get",
  path: "/v1/auth/me",
  tags: ["Auth"],
  summary: "The calling key's own record and tenant (never a secret)",
  responses: { 200: { description: "The caller", ...jsonContent(Me) } },
});

const permissionSets = defineRoute("admin", {
  operationId: "listPermissionSets",
  method: "get",
  path: "/v1/permission-sets",
  tags: ["Keys"],
  summary: "Named scope presets usable as `permissionSet` at key creation",
  responses: { 200: { description: "The presets", ...jsonContent(PermissionSets) } },
});

export const selfRoutes: Endpoint[] = [
  endpoint(me, async (c) => {
    const { key, current } = await loadKey(c, c.get("principal").key.keyId);
    const tenant = await c.get("stores").db.select().from(tenants).where(eq(tenants.id, key.tenantId)).get();
    return c.json({ key: keyView(key, current), tenant: tenantView(tenant!) }, 200);
  }),

  endpoint(permissionSets, (c) =>
    c.json(
      {
        data: Object.entries(PERMISSION_SETS).map(([name, set]) => ({
          name,
          description: set.description,
          scopes: [...set.scopes],
          resources: permissionSetResources(name as PermissionSetName),
        })),
      },
      200,
    ),
  ),
];

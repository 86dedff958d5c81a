// What a key can learn about itself and its options, with any valid key or an admin one.
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { tenants } from "../db/schema.ts";
import { defineRoute, endpoint, type Endpoint, jsonContent } from "../http/route.ts";
import { ROLES } from "../people/operator.ts";
import { PERMISSION_SETS, permissionSetResources, type PermissionSetName } from "../keys/scopes.ts";
import { loadKey } from "./key-access.ts";
import { KeySchema, keyView, TenantSchema, tenantView } from "./schemas.ts";

const Me = z
  .object({
    key: KeySchema.nullable().openapi({ description: "The calling key; null for a person signed in through Cloudflare Access." }),
    tenant: TenantSchema,
    operator: z
      .object({ email: z.string(), role: z.enum(ROLES), tenantId: z.string().nullable() })
      .nullable()
      .openapi({ description: "The person signed in through Cloudflare Access, else null." }),
    session: z
      .object({ expiresAt: z.string() })
      .nullable()
      .openapi({ description: "When the caller came with a console session: when it ends." }),
  })
  .openapi("Me");
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
  summary: "The caller: its key (or, for a person, its operator record) and tenant (never a secret)",
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
    const { operator, key: caller } = c.get("principal");
    const tenant = await c.get("stores").db.select().from(tenants).where(eq(tenants.id, caller.tenantId)).get();
    const signedIn = c.get("session");
    const session = signedIn ? { expiresAt: new Date(signedIn.expiresAt).toISOString() } : null;
    if (operator) {
      return c.json({ key: null, tenant: tenantView(tenant!), operator: { email: operator.email, role: operator.role, tenantId: operator.tenantId }, session }, 200);
    }
    const { key, current } = await loadKey(c, caller.keyId);
    return c.json({ key: keyView(key, current), tenant: tenantView(tenant!), operator: null, session }, 200);
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

// Every paginated list (tenants, keys, audit, jobs) takes as its cursor only an id of its own
// kind, the `nextCursor` it handed out: garbage, an over-long value, or an id of another list (a job
// id on /v1/keys) is a 400 bad-request naming `cursor`, where it used to be a silent 200.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let platform: string;
let admin: string;
let client: string;
/** A real id of each kind, to be passed where another kind is expected. */
const ids: Record<"ten" | "key" | "aud" | "job", string> = { ten: "", key: "", aud: "", job: "" };
beforeAll(async () => {
  platform = await platformKey();
  const t = await tenantWithAdmin(platform);
  admin = t.admin;
  ids.ten = t.tenant.id;
  ids.key = t.adminId;
  const k = await createKey(admin, { permissionSet: "ingest_pipeline" });
  client = k.key;
  ids.job = (await json(await call("/v1/ingest", { key: client, body: { source: "cursor.csv", payload: 1 } }))).id;
  ids.aud = (await json(await call("/v1/audit?limit=1", { key: admin }))).data[0].id;
});

const LISTS = [
  { path: "/v1/tenants", kind: "ten", key: () => platform },
  { path: "/v1/keys", kind: "key", key: () => admin },
  { path: "/v1/audit", kind: "aud", key: () => admin },
  { path: "/v1/jobs", kind: "job", key: () => client },
] as const;

const GARBAGE = ["garbage", "'; DROP TABLE api_keys; --", "key_", "key_short", `key_${"A".repeat(41)}`, "x".repeat(500), "ten_AAAAAAAA AAAA", "%00"];

describe("?cursor= on every list", () => {
  for (const list of LISTS) {
    it(`${list.path}: garbage is 400 bad-request naming cursor`, async () => {
      for (const cursor of GARBAGE) {
        const body = await expectProblem(await call(`${list.path}?cursor=${encodeURIComponent(cursor)}`, { key: list.key() }), 400, "bad-request");
        expect(body.errors, cursor).toEqual([{ path: "cursor", message: expect.stringContaining(`${list.kind}_`) }]);
        expect(body.detail).toMatch(/^cursor: /);
      }
    });

    it(`${list.path}: an id of another list is 400, one of its own is 200`, async () => {
      for (const [kind, id] of Object.entries(ids)) {
        const res = await call(`${list.path}?cursor=${id}`, { key: list.key() });
        if (kind === list.kind) expect(res.status, await res.text()).toBe(200);
        else await expectProblem(res, 400, "bad-request");
      }
    });
  }

  it("an empty cursor is refused too; no cursor at all is the first page", async () => {
    await expectProblem(await call("/v1/keys?cursor=", { key: admin }), 400, "bad-request");
    expect((await call("/v1/keys", { key: admin })).status).toBe(200);
  });

  it("the OpenAPI description states each list's cursor pattern", async () => {
    const doc = await json(await call("/openapi.json"));
    for (const list of LISTS) {
      const param = doc.paths[list.path].get.parameters.find((p: any) => p.name === "cursor");
      expect(param.schema.pattern, list.path).toBe(`^${list.kind}_[0-9A-Za-z]{8,40}$`);
    }
  });
});

// Idempotency-Key on POST /v1/ingest, per draft-ietf-httpapi-idempotency-key-header.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

let client: { key: string; tenantId: string };
beforeAll(async () => {
  const platform = await platformKey();
  const { admin } = await tenantWithAdmin(platform);
  client = await createKey(admin, { permissionSet: "ingest_pipeline" });
});

const body = { source: "s", payload: { n: 1 } };

describe("Idempotency-Key", () => {
  it("same key and payload: the original response, replayed, and one job only", async () => {
    const key = crypto.randomUUID();
    const first = await call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": `"${key}"` } });
    expect(first.status).toBe(202);
    const job = await json(first);
    const again = await call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": `"${key}"` } });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await json(again)).id).toBe(job.id);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE tenant_id = ? AND source = 's'").bind(client.tenantId).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("same key, different payload: 422", async () => {
    const key = crypto.randomUUID();
    await call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": key } });
    const other = await call("/v1/ingest", { key: client.key, body: { ...body, payload: { n: 2 } }, headers: { "Idempotency-Key": key } });
    expect(other.status).toBe(422);
    expect((await json(other)).type).toBe("https://keygate.dev/problems/idempotency-key-reused");
  });

  it("same key while the first is in flight: 409", async () => {
    const key = crypto.randomUUID();
    const [a, b] = await Promise.all([
      call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": key } }),
      call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": key } }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
  });

  it("errors are replayed too (a 422 stays a 422)", async () => {
    const key = crypto.randomUUID();
    const bad = { source: "", payload: 1 };
    expect((await call("/v1/ingest", { key: client.key, body: bad, headers: { "Idempotency-Key": key } })).status).toBe(422);
    const again = await call("/v1/ingest", { key: client.key, body: bad, headers: { "Idempotency-Key": key } });
    expect(again.status).toBe(422);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("keys are scoped to the tenant", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const other = await createKey(admin, { permissionSet: "ingest_pipeline" });
    const key = crypto.randomUUID();
    const mine = await json(await call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": key } }));
    const theirs = await call("/v1/ingest", { key: other.key, body, headers: { "Idempotency-Key": key } });
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect((await json(theirs)).id).not.toBe(mine.id);
  });

  it("the query is part of the request: same key, other query → 422", async () => {
    const key = crypto.randomUUID();
    expect((await call("/v1/ingest?mode=a", { key: client.key, body, headers: { "Idempotency-Key": key } })).status).toBe(202);
    expect((await call("/v1/ingest?mode=b", { key: client.key, body, headers: { "Idempotency-Key": key } })).status).toBe(422);
  });

  it("an invalid key is 400", async () => {
    expect((await call("/v1/ingest", { key: client.key, body, headers: { "Idempotency-Key": "" } })).status).toBe(400);
  });
});

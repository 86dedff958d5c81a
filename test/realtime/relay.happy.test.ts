// A WebSocket route relays frames between a client and the real echo origin: both types, in order,
// both ways; the origin's upgrade is signed and names keygate's identity, never the client's
// credentials; closes pass through with their code and reason.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { flushAnalytics } from "../support/analytics-flush.ts";
import { createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { rateLimitFields } from "../support/limits.ts";
import { closedWithin, nextMessages, openSocket } from "../support/realtime.ts";

let platform: string;
beforeAll(async () => {
  platform = await platformKey();
});

async function realtimeKey(scopes = ["realtime"]) {
  const { admin } = await tenantWithAdmin(platform);
  return createKey(admin, { scopes });
}

/**
 * The socket's close event (code, reason, wasClean), or null after `ms`. Not the support helper's
 * `closed`: when the client closes first, workerd reports "Network connection lost" as an error
 * event on the test's end just before the clean close event, and `closed` takes the first of both.
 */
function closeEvent(ws: WebSocket, ms = 3000): Promise<{ code: number; reason: string; wasClean: boolean } | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    ws.addEventListener("close", (ev) => {
      clearTimeout(timer);
      resolve({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
    });
  });
}

const bytesOf = (m: string | ArrayBuffer) => (typeof m === "string" ? m : [...new Uint8Array(m)]);

describe("a WebSocket route", () => {
  it("relays text and binary both ways", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const { key } = await createKey(admin, { scopes: ["realtime"] });
    const o = await openSocket("/v1/realtime/echo", { key });
    expect(o.res.status).toBe(101);
    o.ws!.send("hello");
    o.ws!.send(new Uint8Array([1, 2, 3]));
    const [a, b] = await nextMessages(o, 2);
    expect(a).toBe("hello");
    expect([...new Uint8Array(b as ArrayBuffer)]).toEqual([1, 2, 3]);
    o.ws!.close(1000, "bye");
  });

  it("keeps order and type over many interleaved text and binary messages", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/echo/ordered", { key });
    expect(o.res.status).toBe(101);
    const sent: (string | number[])[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 2) {
        const bytes = [i, 0, 255, i * 7 % 256];
        sent.push(bytes);
        o.ws!.send(new Uint8Array(bytes));
      } else {
        const text = `msg ${i} ${"é".repeat(i % 4)}`;
        sent.push(text);
        o.ws!.send(text);
      }
    }
    const got = await nextMessages(o, sent.length);
    expect(got.map(bytesOf)).toEqual(sent);
    expect(got.map((m) => typeof m)).toEqual(sent.map((s) => (typeof s === "string" ? "string" : "object")));
    o.ws!.close(1000, "done");
  });

  it("a binary message of exactly the route's limit (65536 bytes) goes through intact", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/echo", { key });
    const big = new Uint8Array(65536).map((_, i) => (i * 31) % 251);
    o.ws!.send(big);
    const [back] = await nextMessages(o, 1);
    expect(new Uint8Array(back as ArrayBuffer)).toEqual(big);
    o.ws!.close(1000, "done");
  });

  for (const credential of ["authorization", "x-api-key"] as const) {
    it(`the origin's upgrade is signed with keygate's identity, without the client's credential (${credential}), cookies or forged identity headers`, async () => {
      const k = await realtimeKey(["realtime", "query"]);
      const forged = {
        "x-keygate-key-id": "key_forged00000000000000",
        "x-keygate-tenant-id": "ten_forged00000000000000",
        "x-keygate-scopes": "admin keys:write",
        "x-keygate-environment": "test",
        "x-keygate-resource": "agent=a_1",
        "x-keygate-job-id": "job_forged",
        x_keygate_scopes: "admin-forged",
        cookie: "kg_session=stolen; other=1",
      };
      const headers: Record<string, string> = { ...forged, ...(credential === "x-api-key" ? { "x-api-key": k.key } : {}) };
      const o = await openSocket("/v1/realtime/identity?room=r1&n=2&tag=a%20b", { key: credential === "authorization" ? k.key : undefined, headers });
      expect(o.res.status).toBe(101);
      const [first] = await nextMessages(o, 1);
      const report = JSON.parse(first as string);
      expect(report.reason).toBeUndefined();
      expect(report.verified).toBe(true);
      expect(report.identity).toMatchObject({ keyId: k.id, tenantId: k.tenantId, scopes: ["realtime", "query"], environment: "live" });
      expect(report.identity.requestId).toBe(o.res.headers.get("x-request-id"));
      expect(report.identity.resource).toBeUndefined();
      expect(report.identity.jobId).toBeUndefined();

      const received: Record<string, string> = report.headers;
      for (const name of ["authorization", "x-api-key", "cookie", "proxy-authorization", "x-keygate-resource", "x-keygate-job-id"]) {
        expect(received[name], name).toBeUndefined();
      }
      expect(received["x-keygate-key-id"]).toBe(k.id);
      expect(received["x-keygate-tenant-id"]).toBe(k.tenantId);
      expect(received["x-keygate-scopes"]).toBe("realtime query");
      expect(received["x-keygate-environment"]).toBe("live");
      expect(received.signature).toMatch(/^kg=:/);
      expect(received["signature-input"]).toMatch(/"@query"/);
      // Every header value sent by the client as a whole, wherever it could hide (repeated headers are joined).
      expect(JSON.stringify(report.rawHeaders)).not.toContain(k.key);
      expect(JSON.stringify(report.rawHeaders)).not.toContain("forged");
      expect(JSON.stringify(report.rawHeaders)).not.toContain("stolen");

      const url = new URL(report.url);
      expect(url.pathname).toBe("/v1/realtime/identity");
      expect(url.search).toBe("?room=r1&n=2&tag=a%20b");

      // After its report, the identity path echoes like any other.
      o.ws!.send("still here");
      expect((await nextMessages(o, 2))[1]).toBe("still here");
      o.ws!.close(1000, "done");
    });
  }

  it("the client's subprotocols reach the origin and its choice comes back; empty messages pass", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/identity", { key, headers: { "sec-websocket-protocol": "chat.v2, chat.v1" } });
    expect(o.res.status).toBe(101);
    expect(o.res.headers.get("sec-websocket-protocol")).toBe("chat.v2");
    const [first] = await nextMessages(o, 1);
    expect(JSON.parse(first as string).headers["sec-websocket-protocol"]).toBe("chat.v2, chat.v1");
    o.ws!.send(new Uint8Array(0));
    o.ws!.send("");
    const [, empty, blank] = await nextMessages(o, 3);
    expect((empty as ArrayBuffer).byteLength).toBe(0);
    expect(blank).toBe("");
    o.ws!.close(1000, "done");
  });

  it("a client's close code and reason are answered with the same code and reason", async () => {
    const { key } = await realtimeKey();
    for (const path of ["/v1/realtime/echo", "/v1/realtime/close"]) {
      const o = await openSocket(path, { key });
      o.ws!.send("ping");
      await nextMessages(o, 1);
      const closing = closeEvent(o.ws!);
      o.ws!.close(4000, "done");
      expect(await closing, path).toEqual({ code: 4000, reason: "done", wasClean: true });
    }
  });

  it("the origin's close code and reason reach the client", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/close", { key });
    const closing = closeEvent(o.ws!);
    o.ws!.send("before");
    expect(await nextMessages(o, 1)).toEqual(["before"]);
    o.ws!.send("close 4321 bye");
    expect(await closing).toEqual({ code: 4321, reason: "bye", wasClean: true });
    expect(o.messages).toEqual(["before"]);
  });

  it("the origin closing with 1000 and no reason reaches the client as 1000", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/close", { key });
    const closing = closeEvent(o.ws!);
    o.ws!.send("close 1000");
    expect(await closing).toMatchObject({ code: 1000, reason: "" });
  });

  it("200 messages pushed by the origin at once all arrive, in order", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/push", { key });
    o.ws!.send("push 200");
    const got = await nextMessages(o, 200, 5000);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i + 1}`));
    await new Promise((r) => setTimeout(r, 50));
    expect(o.messages).toHaveLength(200);
    o.ws!.close(1000, "done");
  });

  it("the upgrade answers 101 with the request id and the RateLimit fields of the upgrade's admission", async () => {
    const { key } = await realtimeKey();
    const o = await openSocket("/v1/realtime/echo", { key });
    expect(o.res.status).toBe(101);
    expect(o.res.webSocket).not.toBeNull();
    expect(o.res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // tenantWithAdmin makes a "pro" tenant: a bucket of 200 per key; the upgrade spent the route's cost of 1.
    const { policy, state } = rateLimitFields(o.res);
    expect(policy.burst).toMatchObject({ q: 200 });
    expect(state.burst!.r).toBeLessThanOrEqual(199);
    expect(state.burst!.r).toBeGreaterThanOrEqual(0);
    expect(policy.month).toBeDefined();
    o.ws!.close(1000, "done");
  });
});

describe("send, then close", () => {
  it("messages still being admitted when the client closes reach the origin and are counted first", async () => {
    const platform = await platformKey();
    const { admin } = await tenantWithAdmin(platform);
    const k = await createKey(admin, { scopes: ["realtime"] });
    const o = await openSocket("/v1/realtime/identity", { key: k.key });
    expect(o.res.status).toBe(101);
    const [first] = await nextMessages(o, 1);
    expect(JSON.parse(first as string).verified).toBe(true);
    // Idle past the lease: the next admission goes to the key's object.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 5; i++) o.ws!.send(`m${i}`);
    o.ws!.close(1000, "done");
    const closed = await closedWithin(o, 3000);
    expect(closed.code).toBe(1000);
    await flushAnalytics([{ id: k.id, tenantId: k.tenantId }]);
    const row = await env.DB.prepare("SELECT sum(requests) AS n FROM analytics_minute WHERE key_id = ? AND route = 'WS-IN /v1/realtime' AND outcome = 'valid'").bind(k.id).first<{ n: number }>();
    expect(row?.n).toBe(5);
  });
});

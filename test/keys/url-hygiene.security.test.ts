// The url-hygiene stage and the key check on other headers, against spellings that slipped past
// them: a percent-encoded key next to an escape that does not decode (which used to switch the
// decoding, and so the check, off), a key in another header written with escapes, and paths an
// origin could resolve to another route (`..;` for servlet containers, overlong and fullwidth
// UTF-8 forms of dots, slashes and backslashes). All of them are refused before anything is
// forwarded, recorded or logged with the key in it.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { call, createKey, platformKey, tenantWithAdmin } from "../support/gateway.ts";
import { captureLogs } from "../support/hostile.ts";

const logs = captureLogs();
let client: { key: string; id: string };
let writer: { key: string; id: string };
beforeAll(async () => {
  const { admin } = await tenantWithAdmin(await platformKey(), { plan: "enterprise" });
  client = await createKey(admin, { scopes: ["query"] });
  writer = await createKey(admin, { scopes: ["jobs:write"] });
});

/** The URLs the Worker sends to origins while `fn` runs. */
async function forwardedDuring(fn: () => Promise<Response>): Promise<{ res: Response; text: string; sent: string[] }> {
  const sent: string[] = [];
  const real = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Request(input, init).url);
    return real(input, init);
  });
  try {
    const res = await fn();
    return { res, text: await res.text(), sent };
  } finally {
    // Only this spy: captureLogs' console spies must keep recording.
    spy.mockRestore();
  }
}

/** The access-log line of a request (written once its background work is done). */
async function accessLogLine(requestId: string): Promise<string> {
  const until = Date.now() + 3000;
  for (;;) {
    const line = logs.lines.find((l) => l.includes('"event":"request"') && l.includes(requestId));
    if (line || Date.now() > until) return line ?? "";
    await new Promise((r) => setTimeout(r, 20));
  }
}

const encoded = (k: string) => k.replace(/_/g, "%5F");

describe("a percent-encoded key in the URL, next to an escape that does not decode", () => {
  it("is refused with 400 invalid-request, nothing forwarded, and the access log never holds the key", async () => {
    const k = client.key;
    const e = encoded(k);
    const targets: [string, string][] = [
      ["POST", `/v1/query?x=${e}&y=%ZZ`],
      ["POST", `/v1/query?y=%ZZ&x=${e}`],
      ["GET", `/v1/echo/x?${e}=1&y=%E0%A4%A`],
      ["GET", `/v1/echo/x?x=${e}%FF`],
      ["GET", `/v1/echo/x?x=${k.replace(/_/g, "%255F")}`],
      ["GET", `/v1/echo/${e}/%ZZ`],
      ["GET", `/v1/echo/%ZZ/${e}`],
      ["GET", `/v1/echo/${e}%ZZ`],
      ["GET", `/v1/echo/${e}%C0`],
    ];
    for (const [method, target] of targets) {
      const { res, text, sent } = await forwardedDuring(() => call(target, { method, key: k, body: method === "POST" ? { sql: "select 1" } : undefined }));
      expect(res.status, `${target}: ${text}`).toBe(400);
      expect(JSON.parse(text).type, target).toBe("https://keygate.dev/problems/invalid-request");
      expect(text, target).not.toContain(k.slice(8));
      expect(sent, target).toEqual([]);
      const line = await accessLogLine(res.headers.get("x-request-id")!);
      expect(line, target).toContain('"status":400');
      expect(line, target).not.toContain(k.slice(8));
    }
  });
});

describe("a percent-encoded key in another header", () => {
  it("is refused like a plain one, also when the value has an escape that does not decode", async () => {
    const e = encoded(client.key);
    const cases: [string, string][] = [
      ["X-Customer-Token", e],
      ["X-Request-Id", e],
      ["Referer", `https://app.example.com/?k=${e}&y=%ZZ`],
      ["User-Agent", `script/1.0 (%ZZ ${e})`],
      ["X-Trace", client.key.replace(/_/g, "%255F")],
    ];
    for (const [name, value] of cases) {
      const { res, text, sent } = await forwardedDuring(() => call("/v1/echo/leak", { key: client.key, headers: { [name]: value } }));
      expect(res.status, `${name}: ${text}`).toBe(400);
      expect(JSON.parse(text).type, name).toBe("https://keygate.dev/problems/invalid-request");
      expect(sent, name).toEqual([]);
    }
  });
});

describe("paths an origin could resolve to another route", () => {
  it("`..;` on an ingest route: 400 before routing, no job, nothing forwarded", async () => {
    const jobs = async () => (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE key_id = ?").bind(writer.id).first<{ n: number }>())!.n;
    const before = await jobs();
    for (const path of ["/v1/ingest/..;/query", "/v1/ingest/..;x=1/query", "/v1/ingest;/x", "/v1/ingest/a%3Bb"]) {
      const { res, text, sent } = await forwardedDuring(() => call(path, { key: writer.key, body: { source: "s", payload: 1 } }));
      expect(res.status, `${path}: ${text}`).toBe(400);
      expect(JSON.parse(text).type, path).toBe("https://keygate.dev/problems/bad-request");
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(sent, path).toEqual([]);
    }
    expect(await jobs()).toBe(before);
  });

  it("overlong and fullwidth dots, slashes and backslashes: 400, nothing forwarded", async () => {
    const paths = [
      "/v1/echo/%C0%AE%C0%AE/x", // overlong "." (2 bytes)
      "/v1/echo/%E0%80%AE%E0%80%AE/x", // overlong "." (3 bytes)
      "/v1/echo/%F0%80%80%AE/x", // overlong "." (4 bytes)
      "/v1/echo/%EF%BC%8E%EF%BC%8E/x", // fullwidth full stop
      "/v1/echo/\uFF0E\uFF0E/x", // the same, unencoded (the URL parser encodes it)
      "/v1/echo/%EF%B9%92/x", // small full stop
      "/v1/echo/%E2%80%A5/x", // two dot leader
      "/v1/echo/a%C0%AFb", // overlong "/"
      "/v1/echo/a%E0%80%AFb",
      "/v1/echo/a%EF%BC%8Fb", // fullwidth solidus
      "/v1/echo/a%C1%9Cb", // overlong "\"
      "/v1/echo/a%EF%BC%BCb", // fullwidth reverse solidus
      "/v1/echo/a%EF%B9%A8b", // small reverse solidus
      "/v1/echo/a%EF%BC%85b", // fullwidth percent sign
      "/v1/echo/a%C0%80b", // overlong NUL
    ];
    for (const path of paths) {
      const { res, text, sent } = await forwardedDuring(() => call(path, { key: client.key }));
      expect(res.status, `${path}: ${text}`).toBe(400);
      expect(JSON.parse(text).type, path).toBe("https://keygate.dev/problems/bad-request");
      expect(sent, path).toEqual([]);
    }
  });

  it("ordinary non-ASCII segments still go through", async () => {
    for (const path of ["/v1/echo/caf%C3%A9", "/v1/echo/%E2%82%AC", "/v1/echo/\u00fcber", "/v1/echo/%F0%9F%94%91"]) {
      const res = await call(path, { key: client.key });
      expect(res.status, path).toBe(200);
    }
  });
});

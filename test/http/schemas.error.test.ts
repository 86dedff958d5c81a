// Stored free text (src/http/schemas.ts text()/label()) refuses terminal controls: ESC sequences,
// CR, OSC, C1 and bidi overrides would rewrite the terminal of whoever lists the records later.
// Every field that stores free text answers 422 naming the field, and nothing is written.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { label, text } from "../../src/http/schemas.ts";
import { expectProblem } from "../support/admin.ts";
import { call, createKey, json, platformKey, tenantWithAdmin } from "../support/gateway.ts";

/** One of each kind the refusal covers, in the middle of otherwise harmless text. */
const CONTROLS: [string, string][] = [
  ["NUL", "\u0000"],
  ["TAB", "\t"],
  ["LF", "\n"],
  ["CR", "\r"],
  ["ESC (CSI clear screen)", "\u001b[2J"],
  ["OSC 52 (clipboard)", "\u001b]52;c;aGk=\u0007"],
  ["US", "\u001f"],
  ["DEL", "\u007f"],
  ["NEL", "\u0085"],
  ["C1 CSI", "\u009b31m"],
  ["APC", "\u009f"],
  ["LRE", "\u202a"],
  ["RLO", "\u202e"],
  ["LRI", "\u2066"],
  ["PDI", "\u2069"],
  ["LRM", "\u200e"],
  ["RLM", "\u200f"],
  ["ALM", "\u061c"],
];
const hostile = (c: string) => `ok${c}txt`;

let platform: string;
let admin: string;
let tenantId: string;
let keyId: string;
let client: string;
let reporter: string;
beforeAll(async () => {
  platform = await platformKey();
  const t = await tenantWithAdmin(platform);
  admin = t.admin;
  tenantId = t.tenant.id;
  keyId = (await createKey(admin, { name: "target", permissionSet: "read_only" })).id;
  client = (await createKey(admin, { permissionSet: "ingest_pipeline" })).key;
  reporter = (await createKey(platform, { scopes: ["jobs:report"] })).key;
});

const rows = async () =>
  JSON.stringify(
    await env.DB.batch([
      env.DB.prepare("SELECT * FROM tenants ORDER BY id"),
      env.DB.prepare("SELECT * FROM api_keys ORDER BY id"),
      env.DB.prepare("SELECT * FROM jobs ORDER BY id"),
    ]).then((rs) => rs.map((r) => r.results)),
  );

describe("text() and label()", () => {
  it("refuse every C0 and C1 control, DEL and the bidi controls, wherever they are", () => {
    for (const [name, c] of CONTROLS) {
      for (const s of [hostile(c), `${c}x`, `x${c}`]) {
        if (s.trim() !== s) continue; // leading and trailing whitespace is trimmed, not refused
        expect(text(100).safeParse(s).success, `${name} in ${JSON.stringify(s)}`).toBe(false);
        expect(label(100).safeParse(s).success, name).toBe(false);
      }
    }
    for (let c = 0; c <= 0x9f; c++) {
      if (c >= 0x20 && c < 0x7f) continue;
      expect(text(10).safeParse(`a${String.fromCharCode(c)}b`).success, `U+${c.toString(16)}`).toBe(false);
    }
  });

  it("keep accepting ordinary text: accents, scripts, emoji (ZWJ sequences included), NBSP", () => {
    for (const s of ["Café ☕", "東京 オフィス", "مرحبا", "👨‍👩‍👧 family", "a\u00a0b", "x — y", "s3://bucket/2026-11-22.ndjson"]) {
      expect(label(100).safeParse(s), s).toMatchObject({ success: true, data: s });
    }
  });
});

describe("every stored free-text field refuses controls with 422, naming the field, writing nothing", () => {
  const cases = (c: string): [string, () => Promise<Response>, string][] => [
    ["tenant name (create)", () => call("/v1/tenants", { key: platform, body: { name: hostile(c), slug: `s-${crypto.randomUUID().slice(0, 8)}` } }), "name"],
    ["tenant name (update)", () => call(`/v1/tenants/${tenantId}`, { key: platform, method: "PATCH", body: { name: hostile(c) } }), "name"],
    ["key name (create)", () => call("/v1/keys", { key: admin, body: { name: hostile(c), permissionSet: "read_only" } }), "name"],
    ["key description (create)", () => call("/v1/keys", { key: admin, body: { name: "n", description: hostile(c), permissionSet: "read_only" } }), "description"],
    ["key name (update)", () => call(`/v1/keys/${keyId}`, { key: admin, method: "PATCH", body: { name: hostile(c) } }), "name"],
    ["key description (update)", () => call(`/v1/keys/${keyId}`, { key: admin, method: "PATCH", body: { description: hostile(c) } }), "description"],
    ["revoke reason", () => call(`/v1/keys/${keyId}/revoke`, { key: admin, body: { reason: hostile(c) } }), "reason"],
    ["ingest source", () => call("/v1/ingest", { key: client, body: { source: hostile(c), payload: 1 } }), "source"],
  ];

  for (const [name, c] of CONTROLS) {
    it(name, async () => {
      const before = await rows();
      for (const [field, send, path] of cases(c)) {
        const body = await expectProblem(await send(), 422, "validation-failed");
        expect(body.errors, field).toEqual([{ path, message: expect.stringMatching(/control/) }]);
      }
      expect(await rows()).toBe(before);
    });
  }

  it("a job event's error (where line breaks and tabs are text: an origin's error may span lines)", async () => {
    const job = await json(await call("/v1/ingest", { key: client, body: { source: "x", payload: 1 } }));
    for (const [, c] of CONTROLS.filter(([, c]) => !"\t\n\r".includes(c))) {
      const res = await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "failed", error: hostile(c) } });
      const body = await expectProblem(res, 422, "validation-failed");
      expect(body.errors).toEqual([{ path: "error", message: expect.stringMatching(/control/) }]);
    }
    expect(await json(await call(`/v1/jobs/${job.id}`, { key: client }))).toMatchObject({ status: "pending", error: null });
    const multiline = "Traceback (most recent call last):\n\tFile \"ingest.py\", line 3\r\nValueError: bad row";
    expect((await call(`/v1/jobs/${job.id}/events`, { key: reporter, body: { status: "failed", error: multiline } })).status).toBe(200);
    expect(await json(await call(`/v1/jobs/${job.id}`, { key: client }))).toMatchObject({ status: "failed", error: multiline });
  });
});

// keygate's Standard Webhooks signatures, checked against the official `standardwebhooks` package
// inside workerd: the same signature for any id, time and body (unicode too), and secrets of the
// documented form that the package accepts.
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { newWebhookSecret, webhookSignature } from "../../src/insight/webhook-signing.ts";

describe("webhook signatures", () => {
  it("match the official package's for random secrets, ids, times and bodies", async () => {
    const bodies = ['{"type":"alert.firing"}', JSON.stringify({ name: "Überlast ✓ 日本", n: 1.5 }), "", "x".repeat(10_000)];
    for (const body of bodies) {
      const secret = newWebhookSecret();
      const id = `msg_${crypto.randomUUID().replace(/-/g, "")}`;
      const ts = 1_700_000_000 + Math.floor(Math.random() * 1e8);
      expect(await webhookSignature(secret, id, ts, body)).toBe(new Webhook(secret).sign(id, new Date(ts * 1000), body));
    }
  });

  it("verify with the package when sent now, and not with another secret or a changed body", async () => {
    const secret = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"type":"alert.resolved","data":{"value":0}}';
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(ts), "webhook-signature": await webhookSignature(secret, "msg_1", ts, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow("No matching signature found");
    expect(() => new Webhook(secret).verify(body.replace("0", "1"), headers)).toThrow("No matching signature found");
  });

  it("secrets are whsec_ and 24 random bytes in base64, different every time", () => {
    const secrets = new Set(Array.from({ length: 50 }, newWebhookSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(atob(s.slice(6))).toHaveLength(24);
    }
  });
});

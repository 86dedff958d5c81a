import { env } from "cloudflare:test";
import { it } from "vitest";
it("a", async () => {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM tenants").first();
  console.warn("A sees tenants", JSON.stringify(r), "pid-ish", Math.random());
  await env.DB.prepare("INSERT INTO tenants (id,name,slug,plan,active,created_at,updated_at) VALUES (?, 'x', ?, 'free', 1, 0, 0)").bind("ten_tmpaaaaaaaa" + Date.now(), "tmp-a-" + Date.now()).run();
  await new Promise(r => setTimeout(r, 1500));
});

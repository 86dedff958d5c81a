// An admin change made by another isolate, as this isolate sees it: D1 and the key's object hold
// it (the publish path's first step), this isolate's lease and cached copies do not.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { apiKeys, keySecrets } from "../../src/db/schema.ts";
import { authStateOfRow } from "../../src/limits/protocol.ts";
import { call } from "./gateway.ts";
import { limiterStub } from "./limits.ts";

export async function changeElsewhere(keyId: string, change: Partial<typeof apiKeys.$inferInsert>): Promise<void> {
  const db = drizzle(env.DB);
  await db.update(apiKeys).set({ ...change, updatedAt: Date.now() }).where(eq(apiKeys.id, keyId)).run();
  const key = (await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).get())!;
  const secrets = await db.select().from(keySecrets).where(eq(keySecrets.keyId, keyId)).all();
  await limiterStub(keyId).configure(authStateOfRow(key, secrets));
}

/** Calls until the answer is no longer 200 (at most 3 s); returns that status and how long it took. */
export async function untilRefused(send: () => ReturnType<typeof call>): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - started < 3_000) {
    status = (await send()).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 50));
  }
  return { status, ms: Date.now() - started };
}

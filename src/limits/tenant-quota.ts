// One object per tenant holds the tenant's monthly quota, shared by all of its keys. Keys' objects
// reserve units from it when they grant a lease, and give back what comes back unused.
import { DurableObject } from "cloudflare:workers";

export class TenantQuota extends DurableObject<Env> {
  private readonly kv = this.ctx.storage.kv;

  /** Reserve up to `n` units of `month` under `limit`, after crediting `returned` unused ones. */
  reserve(month: string, n: number, limit: number, returned = 0): { granted: number; remaining: number } {
    const key = `used:${month}`;
    const used = Math.max(0, (this.kv.get<number>(key) ?? 0) - returned);
    const granted = Math.max(0, Math.min(n, limit - used));
    this.kv.put(key, used + granted);
    return { granted, remaining: Math.max(0, limit - used - granted) };
  }

  release(month: string, n: number): void {
    const key = `used:${month}`;
    this.kv.put(key, Math.max(0, (this.kv.get<number>(key) ?? 0) - n));
  }

  used(month: string): number {
    return this.kv.get<number>(`used:${month}`) ?? 0;
  }
}

// Stage: every authenticated response leaves with the RateLimit fields, even one refused before
// admission (a scope refused from cache, an unknown route, a wrong method): this isolate's last
// answer for the key, or a read of the object that spends nothing.
import type { MiddlewareHandler } from "hono";
import { log } from "../../core/log.ts";
import { rateLimitHeaders } from "../../limits/headers.ts";
import { lastView } from "../../limits/leases.ts";
import type { LimitView } from "../../limits/protocol.ts";
import type { AppEnv } from "../context.ts";

export const rateLimitFields: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const principal = c.var.principal;
  if (!principal || c.res.headers.has("RateLimit") || c.res.status === 503) return;
  const { key, tenant } = principal;
  let view: LimitView | null = lastView(key.keyId);
  let remaining = view?.tokens ?? 0;
  if (!view) {
    try {
      view = await c
        .get("stores")
        .keyLimiter(key.keyId)
        .peek({ limit: key.rateLimit ?? tenant.rateLimit, keyQuota: key.monthlyQuota, tenantQuota: tenant.monthlyQuota, tenantId: key.tenantId });
      remaining = view.tokens;
    } catch (err) {
      log("warn", "limiter.peek_failed", { keyId: key.keyId, error: String(err) });
      return;
    }
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(view, remaining, view.nextTokenSeconds))) c.res.headers.set(name, value);
};

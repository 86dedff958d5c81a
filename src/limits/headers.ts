// IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers), plus the legacy X-RateLimit-* trio
// where the operator asks for it (LEGACY_RATELIMIT_HEADERS = "true"): three more header writes on
// every answer, for clients written before the IETF fields.
// For a token bucket: q = capacity, w = capacity ÷ refill (seconds to fill), r = whole tokens left.
import { windowSeconds } from "./bucket.ts";
import { MONTH_WINDOW_SECONDS } from "./month.ts";
import type { LimitView } from "./protocol.ts";

/**
 * `burst` is the key's own bucket; `tenant` the bucket its tenant's keys share, as the tenant's
 * object last reported it (`tenantT` overrides its t on a refusal by it); `month` the tighter of
 * the key's and the tenant's quotas.
 */
export function rateLimitHeaders(view: LimitView, remaining: number, burstT: number, tenantT: number | undefined, legacy: boolean): Record<string, string> {
  const q = view.limit.capacity;
  const r = Math.max(0, Math.floor(remaining));
  const policy = [`"burst";q=${q};w=${windowSeconds(view.limit)}`];
  const state = [`"burst";r=${r};t=${burstT}`];
  if (view.tenant) {
    policy.push(`"tenant";q=${view.tenant.limit.capacity};w=${windowSeconds(view.tenant.limit)}`);
    state.push(`"tenant";r=${Math.max(0, Math.floor(view.tenant.tokens))};t=${tenantT ?? view.tenant.nextTokenSeconds}`);
  }
  if (view.quota) {
    policy.push(`"month";q=${view.quota.limit};w=${MONTH_WINDOW_SECONDS}`);
    state.push(`"month";r=${Math.max(0, view.quota.remaining)};t=${view.quota.resetSeconds}`);
  }
  const fields: Record<string, string> = { "RateLimit-Policy": policy.join(", "), RateLimit: state.join(", ") };
  if (legacy) {
    fields["X-RateLimit-Limit"] = String(q);
    fields["X-RateLimit-Remaining"] = String(r);
    fields["X-RateLimit-Reset"] = String(burstT);
  }
  return fields;
}

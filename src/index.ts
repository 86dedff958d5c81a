// The Worker's entry point. The pipeline itself is in app.ts.
import { createApp } from "./app.ts";

export { KeyLimiter } from "./limits/key-limiter.ts";
export { TenantQuota } from "./limits/tenant-quota.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

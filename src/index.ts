// The Worker's entry point. The pipeline itself is in app.ts.
import { createApp } from "./app.ts";
import { runAlerts } from "./insight/alert-run.ts";
import { sweep } from "./jobs/sweep.ts";

export { KeyLimiter } from "./limits/key-limiter.ts";
export { TenantQuota } from "./limits/tenant-quota.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweep(env));
    ctx.waitUntil(runAlerts(env));
  },
} satisfies ExportedHandler<Env>;

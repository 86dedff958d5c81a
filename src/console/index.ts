// The console at /console: server-rendered pages (Hono JSX) over the /v1 API, with small client
// scripts from public/assets/console for the writes. app.ts mounts it with mountConsole(app).
//
// Hooks for the browser tests (stable; every control also has an accessible name):
//   sign-in: signin-form, signin-key, signin-submit, signin-error · header: whoami, signout · flash
//   (the alert region for API refusals) · confirm-dialog, confirm-ok, confirm-cancel
//   tenants: tenant-create-open, tenant-create-form, tenant-create-name, tenant-create-slug,
//     tenant-create-plan, tenant-create-email, tenant-create-submit; tenant-edit-open, tenant-edit-form,
//     tenant-edit-{name,plan,quota,max-keys,submit}; tenant-deactivate, tenant-activate
//   keys: key-filters, key-filter-{search,tenant,state,apply}, key-table; key-create-open,
//     key-create-dialog, key-create-form, key-create-{name,tenant,preset,scopes,submit};
//     key-secret-dialog (the secret, once) with key-secret, key-secret-copy, key-secret-done
//   key page: key-roll, key-roll-dialog, key-roll-grace, key-roll-confirm; key-enable, key-disable;
//     key-revoke, key-revoke-dialog, key-revoke-reason, key-revoke-confirm; key-edit-open,
//     key-edit-form, key-edit-{name,scopes,expires,quota,submit}; chart-outcomes, chart-routes
//     (data-ready="true" once drawn with data points; data-state="empty" without traffic)
//   overview: stat-requests, stat-auth-failures, stat-429, stat-cost, stat-alerts, chart-outcomes
//   audit: audit-filters, audit-table · jobs: job-cancel · alerts: alert-create-open,
//     alert-create-form, alert-create-{name,metric,threshold,window,webhook,submit}, alert-edit-form,
//     alert-enable, alert-disable, alert-delete
//   operators: operator-create-open, operator-create-form, operator-create-{email,role,tenant,submit},
//     operator-role-<id>, operator-role-save-<id>, operator-remove-<id>
//   every list row: row-<id> (key_…, ten_…, job_…, alr_…, msg_…, aud_…, opr_…)
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.ts";
import type { Dispatch } from "../http/in-process.ts";
import { ApiProblem } from "./api.ts";
import { NEEDS_SCRIPT } from "./components/forms.tsx";
import { CONSOLE_CSP, page, type PageFn } from "./page.tsx";
import { alertPage, alertsPage } from "./pages/alerts.tsx";
import { auditPage } from "./pages/audit.tsx";
import { jobPage, jobsPage } from "./pages/jobs.tsx";
import { keyPage } from "./pages/key.tsx";
import { keysPage } from "./pages/keys.tsx";
import { needsScript } from "./pages/needs-script.tsx";
import { operatorsPage } from "./pages/operators.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { tenantPage } from "./pages/tenant.tsx";
import { tenantsPage } from "./pages/tenants.tsx";
import { showSignIn, signIn, signOut } from "./sign-in.tsx";

/** Whatever answers under /console (redirects and errors too) is never stored by a cache. */
const consoleHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
  c.res.headers.set("X-Robots-Tag", "noindex");
  if ((c.res.headers.get("content-type") ?? "").startsWith("text/html")) c.res.headers.set("Content-Security-Policy", CONSOLE_CSP);
};

const PAGES: [string, PageFn][] = [
  ["/console", overviewPage],
  ["/console/tenants", tenantsPage],
  ["/console/tenants/:id", tenantPage],
  ["/console/keys", keysPage],
  ["/console/keys/:id", keyPage],
  ["/console/audit", auditPage],
  ["/console/jobs", jobsPage],
  ["/console/jobs/:id", jobPage],
  ["/console/alerts", alertsPage],
  ["/console/alerts/:id", alertPage],
  ["/console/operators", operatorsPage],
];

const notFound: PageFn = async () => {
  throw new ApiProblem(404, "Not found", "There is no such page in the console.");
};

export function mountConsole(app: OpenAPIHono<AppEnv>): void {
  const dispatch: Dispatch = app;
  app.use("/console/*", consoleHeaders);
  app.get("/console/sign-in", showSignIn);
  app.post("/console/sign-in", signIn);
  app.post("/console/sign-out", signOut);
  app.post(NEEDS_SCRIPT, needsScript);
  app.get("/console/", (c) => c.redirect("/console", 308));
  for (const [path, fn] of PAGES) app.get(path, page(dispatch, fn));
  app.get("/console/*", page(dispatch, notFound));
}

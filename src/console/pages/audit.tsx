// The audit log, newest first, with the API's filters: action, target id and (platform) tenant.
import { must, query } from "../api.ts";
import { AuditTable } from "../components/audit-table.tsx";
import { Card, Pager } from "../components/ui.tsx";
import type { PageFn } from "../page.tsx";
import type { AuditEntry, Page } from "../types.ts";
import { tenantChoices } from "./keys.tsx";

const ACTIONS = [
  "key.create",
  "key.update",
  "key.roll",
  "key.revoke",
  "key.delete",
  "key.bootstrap",
  "key.used_while_revoked",
  "key.used_while_disabled",
  "key.used_while_expired",
  "tenant.create",
  "tenant.update",
  "tenant.used_while_inactive",
  "alert.create",
  "alert.update",
  "alert.delete",
  "alert.rotate_secret",
  "operator.create",
  "operator.update",
  "operator.delete",
  "console.sign_in",
];

export const auditPage: PageFn = async ({ api, viewer, url, now }) => {
  const p = url.searchParams;
  const action = p.get("action") ?? "";
  const targetId = (p.get("targetId") ?? "").trim();
  const tenantId = viewer.platform ? (p.get("tenant") ?? "") : "";
  const [list, tenants] = await Promise.all([
    api<Page<AuditEntry>>("GET", `/v1/audit${query({ action, targetId, tenantId, limit: 50, cursor: p.get("cursor") })}`).then(must),
    viewer.platform ? tenantChoices(api) : Promise.resolve([]),
  ]);
  const filtered = action !== "" || targetId !== "" || tenantId !== "";
  const body = (
    <Card>
      <form method="get" class="filters" aria-label="Filter the audit log" data-testid="audit-filters">
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action">
            <option value="">Any</option>
            {(ACTIONS.includes(action) || action === "" ? ACTIONS : [action, ...ACTIONS]).map((a) => (
              <option value={a} selected={a === action}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-grow">
          <label for="f-target">Target id</label>
          <input id="f-target" name="targetId" value={targetId} placeholder="key_…, ten_…, alr_…" autocomplete="off" class="mono" />
        </div>
        {viewer.platform ? (
          <div class="field">
            <label for="f-tenant">Tenant</label>
            <select id="f-tenant" name="tenant">
              <option value="">All tenants</option>
              {tenants.map((t) => (
                <option value={t.id} selected={t.id === tenantId}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="submit" class="btn btn-plain">
          Apply
        </button>
        {filtered ? (
          <a class="btn btn-link" href="/console/audit">
            Clear
          </a>
        ) : null}
      </form>
      <AuditTable entries={list.data} now={now} emptyHint={filtered ? "Nothing matches these filters; clear them to see everything." : undefined} />
      <Pager url={url} nextCursor={list.nextCursor} />
    </Card>
  );
  return { title: "Audit log", nav: "audit", body, lead: "Who changed which key, tenant or alert rule, and from where." };
};

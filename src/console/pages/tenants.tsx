// Tenants: the list with this month's cost, and creating one (platform only). A tenant-scoped
// person only ever sees their own tenant (its page).
import { PLAN_NAMES } from "../../tenants/plans.ts";
import { must, query } from "../api.ts";
import { ApiForm, Field, Select, Submit } from "../components/forms.tsx";
import { Badge, Card, Empty, Pager, TableWrap, Time } from "../components/ui.tsx";
import { rate, usd } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { Page, Tenant } from "../types.ts";

const PLAN_OPTIONS = PLAN_NAMES.map((p) => ({ value: p, label: p }));

export const TenantCreateForm = () => (
  <ApiForm api="POST /v1/tenants" then="go:/console/tenants/{id}" label="Create a tenant" testid="tenant-create-form" class="form-grid">
    <Field form="tenant-create" name="name" label="Name" required testid="tenant-create-name" placeholder="Acme Inc." />
    <Field form="tenant-create" name="slug" label="Slug" required testid="tenant-create-slug" placeholder="acme" pattern="[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?" hint="Lowercase letters, digits and inner hyphens." />
    <Select form="tenant-create" name="plan" label="Plan" required options={PLAN_OPTIONS} value="free" testid="tenant-create-plan" />
    <Field form="tenant-create" name="email" label="Contact email" type="email" testid="tenant-create-email" />
    <div class="form-actions">
      <Submit testid="tenant-create-submit">Create tenant</Submit>
    </div>
  </ApiForm>
);

export const tenantsPage: PageFn = async ({ api, viewer, url, now }) => {
  if (!viewer.platform) {
    // Only the platform lists tenants; anyone else has exactly one.
    return { title: "Tenant", nav: "tenants", body: <p>{viewer.tenantId ? <a href={`/console/tenants/${viewer.tenantId}`}>Your tenant</a> : "No tenant."}</p> };
  }
  const active = url.searchParams.get("active") ?? "";
  const list = must(await api<Page<Tenant>>("GET", `/v1/tenants${query({ limit: 50, cursor: url.searchParams.get("cursor"), active: active === "true" || active === "false" ? active : undefined })}`));
  const body = (
    <>
      {viewer.canManageTenants ? (
        <details class="card disclosure" open={list.data.length === 0}>
          <summary data-testid="tenant-create-open">New tenant</summary>
          <TenantCreateForm />
        </details>
      ) : null}
      <Card title="All tenants" id="tenants">
        <form method="get" class="filters" aria-label="Filter tenants">
          <div class="field">
            <label for="f-active">Status</label>
            <select id="f-active" name="active">
              <option value="" selected={active === ""}>
                Any
              </option>
              <option value="true" selected={active === "true"}>
                Active
              </option>
              <option value="false" selected={active === "false"}>
                Deactivated
              </option>
            </select>
          </div>
          <button type="submit" class="btn btn-plain">
            Apply
          </button>
        </form>
        {list.data.length === 0 ? (
          <Empty title={active ? "No tenants match" : "No tenants yet"}>{viewer.canManageTenants ? "Create one above: each tenant gets its own keys, limits and bill." : "Tenants appear here once an owner creates them."}</Empty>
        ) : (
          <TableWrap label="Tenants">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                  <th scope="col">Limits</th>
                  <th scope="col" class="num">
                    Cost this month
                  </th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((t) => (
                  <tr data-testid={`row-${t.id}`}>
                    <td>
                      <a href={`/console/tenants/${t.id}`}>{t.name}</a>
                      <div class="sub mono">{t.slug}</div>
                    </td>
                    <td>{t.plan}</td>
                    <td>
                      <Badge state={t.active ? "active" : "inactive"} label={t.active ? "active" : "deactivated"} />
                    </td>
                    <td>
                      {t.effective.maxKeys} keys · {rate(t.effective.rateLimit)}
                    </td>
                    <td class="num">{usd(t.costUsdMonthToDate ?? 0)}</td>
                    <td>
                      <Time iso={t.createdAt} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager url={url} nextCursor={list.nextCursor} />
      </Card>
    </>
  );
  return { title: "Tenants", nav: "tenants", body };
};

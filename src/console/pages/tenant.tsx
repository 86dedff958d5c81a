// One tenant: plan, limits and cost; its keys; editing the plan and limits and deactivating it
// (platform owners and keys). A tenant-scoped person sees their own tenant as /v1/auth/me gives it.
import { PLAN_NAMES } from "../../tenants/plans.ts";
import { ApiProblem, must, query } from "../api.ts";
import { ApiButton, ApiForm, Field, RateField, Select, Submit, TextArea } from "../components/forms.tsx";
import { KeyCreate } from "../components/key-forms.tsx";
import { Badge, Card, Code, Empty, Facts, Notice, TableWrap, Time } from "../components/ui.tsx";
import { count, keyState, rate, usd } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { Key, Page, Tenant } from "../types.ts";

const TenantEdit = ({ t }: { t: Tenant }) => (
  <details class="card disclosure">
    <summary data-testid="tenant-edit-open">Edit plan and limits</summary>
    <ApiForm api={`PATCH /v1/tenants/${t.id}`} empty="null" changedOnly label="Edit tenant" testid="tenant-edit-form" class="form-grid">
      <Field form="tenant-edit" name="name" label="Name" required value={t.name} testid="tenant-edit-name" />
      <Select form="tenant-edit" name="plan" label="Plan" required options={PLAN_NAMES.map((p) => ({ value: p, label: p }))} value={t.plan} testid="tenant-edit-plan" />
      <Field form="tenant-edit" name="email" label="Contact email" type="email" value={t.email} />
      <TextArea form="tenant-edit" name="description" label="Description" value={t.description} />
      <RateField form="tenant-edit" name="rateLimit" legend="Each key's rate limit" value={t.overrides.rateLimit} hint={`Empty: the plan's (${rate(t.effective.rateLimit)}).`} />
      <RateField form="tenant-edit" name="tenantRateLimit" legend="Shared rate limit" value={t.overrides.tenantRateLimit} hint={`All keys together. Empty: the plan's (${rate(t.effective.tenantRateLimit)}).`} />
      <Field form="tenant-edit" name="monthlyQuota" label="Monthly quota" kind="int" min={1} value={t.overrides.monthlyQuota} testid="tenant-edit-quota" hint="Requests per month. Empty: the plan's." />
      <Field form="tenant-edit" name="maxKeys" label="Key limit" kind="int" min={1} value={t.overrides.maxKeys} testid="tenant-edit-max-keys" hint={`Empty: the plan's (${t.effective.maxKeys}).`} />
      <Field form="tenant-edit" name="pricePer1kTokens" label="Price per 1,000 tokens (USD)" kind="number" min={0} value={t.priceSource === "tenant" ? t.pricePer1kTokens : null} hint={`Empty: the plan's ($${t.pricePer1kTokens}).`} />
      <div class="form-actions">
        <Submit testid="tenant-edit-submit">Save changes</Submit>
      </div>
    </ApiForm>
  </details>
);

export const tenantPage: PageFn = async ({ api, viewer, me, now, c }) => {
  const id = c.req.param("id") ?? "";
  let t: Tenant;
  if (viewer.platform) t = must(await api<Tenant>("GET", `/v1/tenants/${encodeURIComponent(id)}`));
  else if (me.tenant && id === me.tenant.id) t = me.tenant;
  else throw new ApiProblem(404, "Not found", "No such tenant.");

  const keys = await api<Page<Key>>("GET", `/v1/keys${query({ tenantId: viewer.platform ? t.id : undefined, limit: 20 })}`);
  const own = t.id === viewer.tenantId;
  const body = (
    <>
      {t.active ? null : <Notice title="Deactivated." detail="Every key of this tenant is refused (403 tenant-inactive) until it is activated again." tone="warn" />}
      <div class="grid-2">
        <Card title="Tenant" id="tenant-facts">
          <Facts
            items={[
              ["Status", <Badge state={t.active ? "active" : "inactive"} label={t.active ? "active" : "deactivated"} />],
              ["Id", <Code value={t.id} />],
              ["Slug", <Code value={t.slug} />],
              ["Plan", t.plan],
              ["Contact", t.email ?? <span class="muted">none</span>],
              ["Created", <Time iso={t.createdAt} now={now} />],
            ]}
          />
          {t.description ? <p class="description">{t.description}</p> : null}
        </Card>
        <Card title="Limits and cost" id="tenant-limits">
          <Facts
            items={[
              ["Each key", `${rate(t.effective.rateLimit)}${t.overrides.rateLimit ? " (own)" : " (plan)"}`],
              ["All keys together", `${rate(t.effective.tenantRateLimit)}${t.overrides.tenantRateLimit ? " (own)" : " (plan)"}`],
              ["Monthly quota", t.effective.monthlyQuota === null ? "unlimited" : count(t.effective.monthlyQuota)],
              ["Key limit", String(t.effective.maxKeys)],
              ["Price", `${usd(t.pricePer1kTokens)} per 1,000 tokens (${t.priceSource})`],
              ["Cost this month", t.costUsdMonthToDate === undefined ? <span class="muted">see the overview</span> : usd(t.costUsdMonthToDate)],
            ]}
          />
        </Card>
      </div>
      {viewer.canManageTenants ? <TenantEdit t={t} /> : null}
      <Card
        title="Keys"
        id="tenant-keys"
        actions={
          <div class="button-row">
            <a href={`/console/keys${viewer.platform ? query({ tenant: t.id }) : ""}`}>All of them</a>
            {viewer.canWrite ? <KeyCreate tenant={t} /> : null}
          </div>
        }
      >
        {keys instanceof ApiProblem ? (
          <Notice title={keys.title + "."} detail={keys.detail} tone="warn" />
        ) : keys.data.length === 0 ? (
          <Empty title="No keys yet — create one">{viewer.canWrite ? "Use New key: the secret is shown once, right after creation." : "Keys appear here once an admin creates them."}</Empty>
        ) : (
          <TableWrap label="Keys of this tenant">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Last used</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr data-testid={`row-${k.id}`}>
                    <td>
                      <a href={`/console/keys/${k.id}`}>{k.name}</a>
                    </td>
                    <td>
                      <Badge state={keyState(k, now)} />
                    </td>
                    <td class="scopes">{k.scopes.join(", ")}</td>
                    <td>
                      <Time iso={k.lastUsedAt} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>
    </>
  );
  const actions =
    viewer.canManageTenants && !own ? (
      t.active ? (
        <ApiButton api={`PATCH /v1/tenants/${t.id}`} body={{ active: false }} tone="danger" testid="tenant-deactivate" confirm={`Deactivate ${t.name}? All of its keys are refused until it is activated again.`}>
          Deactivate
        </ApiButton>
      ) : (
        <ApiButton api={`PATCH /v1/tenants/${t.id}`} body={{ active: true }} testid="tenant-activate">
          Activate
        </ApiButton>
      )
    ) : undefined;
  return { title: t.name, nav: "tenants", body, actions, lead: `${t.plan} plan · ${t.slug}` };
};

// Alert rules and their history: the list (firing first when filtered), a rule's events and
// deliveries, creating, changing, pausing and deleting a rule.
import { ALERT_METRICS } from "../../insight/alert-schemas.ts";
import { must, query } from "../api.ts";
import { ApiButton, ApiForm, Field, Select, Submit } from "../components/forms.tsx";
import { Badge, Card, Code, Empty, Facts, Pager, TableWrap, Time } from "../components/ui.tsx";
import type { PageFn } from "../page.tsx";
import type { Alert, AlertEvent, Page, Tenant } from "../types.ts";
import { tenantChoices } from "./keys.tsx";

const METRICS = ALERT_METRICS.map((m) => ({ value: m, label: m.replace(/_/g, " ") }));

const RuleFields = ({ form, a }: { form: string; a?: Alert }) => (
  <>
    <Field form={form} name="name" label="Name" required value={a?.name} testid={`${form}-name`} placeholder="Auth failures spike" />
    <Select form={form} name="metric" label="Metric" required options={METRICS} value={a?.metric ?? "auth_failures"} testid={`${form}-metric`} />
    <Field form={form} name="threshold" label="Threshold" kind="number" min={0} required value={a?.threshold} testid={`${form}-threshold`} hint="Fires at or above this value." />
    <Field form={form} name="windowMinutes" label="Window (minutes)" kind="int" min={1} max={1440} required value={a?.windowMinutes ?? 5} testid={`${form}-window`} />
    <Field form={form} name="webhookUrl" label="Webhook URL" type="url" required value={a?.webhookUrl} testid={`${form}-webhook`} placeholder="https://hooks.example.com/keygate" />
  </>
);

const CreateRule = ({ tenants }: { tenants: Tenant[] | null }) => (
  <details class="card disclosure">
    <summary data-testid="alert-create-open">New alert rule</summary>
    <ApiForm api="POST /v1/alerts" then="secret" label="Create an alert rule" testid="alert-create-form" class="form-grid">
      <RuleFields form="alert-create" />
      {tenants ? (
        <Select
          form="alert-create"
          name="tenantId"
          label="Watches"
          options={[{ value: "", label: "All traffic (platform rule)" }, ...tenants.map((t) => ({ value: t.id, label: t.name }))]}
          value=""
        />
      ) : null}
      <div class="form-actions">
        <Submit testid="alert-create-submit">Create rule</Submit>
      </div>
    </ApiForm>
  </details>
);

export const alertsPage: PageFn = async ({ api, viewer, url, now }) => {
  const state = url.searchParams.get("state") ?? "";
  const [list, tenants] = await Promise.all([
    api<Page<Alert>>("GET", `/v1/alerts${query({ state: state === "ok" || state === "firing" ? state : undefined, limit: 50, cursor: url.searchParams.get("cursor") })}`).then(must),
    viewer.platform && viewer.canWrite ? tenantChoices(api) : Promise.resolve(null),
  ]);
  const body = (
    <>
      {viewer.canWrite ? <CreateRule tenants={tenants} /> : null}
      <Card>
        <form method="get" class="filters" aria-label="Filter alert rules">
          <div class="field">
            <label for="f-state">State</label>
            <select id="f-state" name="state">
              <option value="">Any</option>
              <option value="firing" selected={state === "firing"}>
                firing
              </option>
              <option value="ok" selected={state === "ok"}>
                ok
              </option>
            </select>
          </div>
          <button type="submit" class="btn btn-plain">
            Apply
          </button>
        </form>
        {list.data.length === 0 ? (
          <Empty title={state ? `No ${state} rules` : "No alert rules yet"}>{viewer.canWrite ? "Create one above: a metric, a threshold over a window, and a webhook to call." : "Rules appear here once an admin creates them."}</Empty>
        ) : (
          <TableWrap label="Alert rules">
            <table>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">State</th>
                  <th scope="col">Condition</th>
                  <th scope="col">Last value</th>
                  <th scope="col">Evaluated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((a) => (
                  <tr data-testid={`row-${a.id}`}>
                    <td>
                      <a href={`/console/alerts/${a.id}`}>{a.name}</a>
                      <div class="sub">{a.tenantId === null ? "all traffic" : a.tenantId}</div>
                    </td>
                    <td>{a.enabled ? <Badge state={a.state} /> : <Badge state="disabled" label="paused" />}</td>
                    <td>
                      {a.metric} ≥ {a.threshold} over {a.windowMinutes} min
                    </td>
                    <td>{a.lastValue ?? "—"}</td>
                    <td>
                      <Time iso={a.lastEvaluatedAt} empty="not yet" now={now} />
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
  return { title: "Alerts", nav: "alerts", body, lead: "Rules evaluated every minute; each crossing calls its webhook, signed." };
};

export const alertPage: PageFn = async ({ api, viewer, url, now, c }) => {
  const id = encodeURIComponent(c.req.param("id") ?? "");
  const a = must(await api<Alert>("GET", `/v1/alerts/${id}`));
  const events = must(await api<Page<AlertEvent>>("GET", `/v1/alerts/${a.id}/events${query({ limit: 50, cursor: url.searchParams.get("cursor") })}`));
  const body = (
    <>
      <div class="grid-2">
        <Card title="Rule" id="alert-facts">
          <Facts
            items={[
              ["State", a.enabled ? <Badge state={a.state} /> : <Badge state="disabled" label="paused" />],
              ["Id", <Code value={a.id} />],
              ["Watches", a.tenantId === null ? "all traffic" : <Code value={a.tenantId} />],
              ["Condition", `${a.metric} ≥ ${a.threshold} over ${a.windowMinutes} min`],
              ["Last value", a.lastValue === null ? "—" : String(a.lastValue)],
              ["Evaluated", <Time iso={a.lastEvaluatedAt} empty="not yet" now={now} />],
              ["Webhook", <span class="mono clip">{a.webhookUrl}</span>],
            ]}
          />
        </Card>
        {viewer.canWrite ? (
          <Card title="Change" id="alert-edit">
            <ApiForm api={`PATCH /v1/alerts/${a.id}`} empty="null" changedOnly label="Edit alert rule" testid="alert-edit-form">
              <RuleFields form="alert-edit" a={a} />
              <div class="form-actions">
                <Submit testid="alert-edit-submit">Save changes</Submit>
              </div>
            </ApiForm>
          </Card>
        ) : null}
      </div>
      <Card title="History" id="alert-events">
        {events.data.length === 0 ? (
          <Empty title="It has never fired">Each time the rule fires or resolves, the event and its webhook delivery are listed here.</Empty>
        ) : (
          <TableWrap label="Alert events">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Event</th>
                  <th scope="col">Value</th>
                  <th scope="col">Delivery</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last answer</th>
                </tr>
              </thead>
              <tbody>
                {events.data.map((e) => (
                  <tr data-testid={`row-${e.id}`}>
                    <td>
                      <Time iso={e.at} now={now} />
                    </td>
                    <td>
                      <Badge state={e.type === "alert.firing" ? "firing" : "ok"} label={e.type === "alert.firing" ? "fired" : "resolved"} />
                    </td>
                    <td>
                      {e.value} (≥ {e.threshold})
                    </td>
                    <td>
                      <Badge state={e.delivery} />
                    </td>
                    <td>{e.attempts}</td>
                    <td>{e.lastStatus ?? e.lastError ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager url={url} nextCursor={events.nextCursor} />
      </Card>
    </>
  );
  const actions = viewer.canWrite ? (
    <div class="button-row">
      <ApiButton api={`PATCH /v1/alerts/${a.id}`} body={{ enabled: !a.enabled }} testid={a.enabled ? "alert-disable" : "alert-enable"}>
        {a.enabled ? "Pause" : "Resume"}
      </ApiButton>
      <ApiButton api={`DELETE /v1/alerts/${a.id}`} tone="danger" then="go:/console/alerts" testid="alert-delete" confirm={`Delete ${a.name} and its history? The audit log keeps a record.`}>
        Delete
      </ApiButton>
    </div>
  ) : undefined;
  return { title: a.name, nav: "alerts", body, actions };
};

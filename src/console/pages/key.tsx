// One key: its state and settings, usage by outcome and by route over time, its audit trail, and
// what can be done to it (roll with a grace period, enable/disable, revoke with a reason, edit).
import type { Child } from "hono/jsx";
import { ApiProblem, must, query } from "../api.ts";
import { analyticsPath, Chart, RangePicker, rangeOf } from "../components/chart.tsx";
import { ApiButton, ApiForm, Dialog, Field, OpenDialog, Select, Submit } from "../components/forms.tsx";
import { KeyEdit } from "../components/key-forms.tsx";
import { AuditTable } from "../components/audit-table.tsx";
import { Badge, Card, Code, Empty, Facts, Notice, TableWrap, Time } from "../components/ui.tsx";
import { count, keyState, rate, usd } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { AuditEntry, Key, Page, Series, Tenant, Usage } from "../types.ts";

const GRACE = [
  { value: "0", label: "None: the old secret stops now" },
  { value: "3600", label: "1 hour" },
  { value: "86400", label: "24 hours" },
  { value: "259200", label: "3 days" },
  { value: "604800", label: "7 days (the longest)" },
];

const Actions = ({ k, live }: { k: Key; live: boolean }) =>
  live ? (
    <div class="button-row">
      <OpenDialog dialog="key-roll-dialog" testid="key-roll">
        Roll secret
      </OpenDialog>
      {k.enabled ? (
        <ApiButton api={`PATCH /v1/keys/${k.id}`} body={{ enabled: false }} testid="key-disable" confirm={`Disable ${k.name}? Calls with it are refused until it is enabled again.`}>
          Disable
        </ApiButton>
      ) : (
        <ApiButton api={`PATCH /v1/keys/${k.id}`} body={{ enabled: true }} testid="key-enable">
          Enable
        </ApiButton>
      )}
      <OpenDialog dialog="key-revoke-dialog" tone="danger" testid="key-revoke">
        Revoke
      </OpenDialog>
      <Dialog id="key-roll-dialog" title="Roll the secret" testid="key-roll-dialog" description="A new secret is issued and shown once. The current one keeps working for the grace period, so clients can move over.">
        <ApiForm api={`POST /v1/keys/${k.id}/roll`} then="secret" label="Roll the secret">
          <Select form="key-roll" name="gracePeriodSeconds" kind="int" label="Grace period" required options={GRACE} value="86400" testid="key-roll-grace" />
          <div class="form-actions">
            <button type="button" class="btn btn-plain" data-close-dialog>
              Cancel
            </button>
            <Submit testid="key-roll-confirm">Roll secret</Submit>
          </div>
        </ApiForm>
      </Dialog>
      <Dialog id="key-revoke-dialog" title={`Revoke ${k.name}?`} testid="key-revoke-dialog" description="Revoking is permanent: every call with this key is refused from now on, everywhere.">
        <ApiForm api={`POST /v1/keys/${k.id}/revoke`} label="Revoke the key">
          <Field form="key-revoke" name="reason" label="Reason" required testid="key-revoke-reason" placeholder="e.g. leaked in a CI log" hint="Kept in the audit log." />
          <div class="form-actions">
            <button type="button" class="btn btn-plain" data-close-dialog>
              Cancel
            </button>
            <Submit tone="danger" testid="key-revoke-confirm">
              Revoke key
            </Submit>
          </div>
        </ApiForm>
      </Dialog>
    </div>
  ) : null;

export const keyPage: PageFn = async ({ api, viewer, url, now, c }) => {
  const id = c.req.param("id") ?? "";
  const k = must(await api<Key>("GET", `/v1/keys/${encodeURIComponent(id)}`));
  const range = rangeOf(url, now);
  const outcomeSrc = analyticsPath(range, "outcome", { keyId: k.id });
  const routeSrc = analyticsPath(range, "route", { keyId: k.id });
  const [byOutcome, byRoute, usage, audit, owner] = await Promise.all([
    api<Series>("GET", outcomeSrc),
    api<Series>("GET", routeSrc),
    api<Usage>("GET", `/v1/keys/${k.id}/usage`),
    api<Page<AuditEntry>>("GET", `/v1/audit${query({ targetId: k.id, limit: 25 })}`),
    viewer.platform ? api<Tenant>("GET", `/v1/tenants/${k.tenantId}`) : Promise.resolve(null),
  ]);
  const tenantName = owner && !(owner instanceof ApiProblem) ? owner.name : viewer.platform ? k.tenantId : (viewer.tenantName ?? k.tenantId);
  const state = keyState(k, now);
  const live = viewer.canWrite && state !== "revoked" && state !== "deleted";

  const body = (
    <>
      {state === "revoked" ? <Notice title="Revoked." detail={`${k.revokeReason ? `Reason: ${k.revokeReason}. ` : ""}Every call with this key is refused.`} tone="warn" /> : null}
      <div class="grid-2">
        <Card title="Key" id="key-facts">
          <Facts
            items={[
              ["State", <Badge state={state} />],
              ["Id", <Code value={k.id} />],
              ["Tenant", viewer.platform ? <a href={`/console/tenants/${k.tenantId}`}>{tenantName}</a> : <span>{tenantName}</span>],
              ["Environment", k.environment],
              ["Secret", k.hint ? <span class="mono">…{k.hint}</span> : <span class="muted">erased</span>],
              ["Scopes", <span class="scopes">{k.scopes.join(", ")}</span>],
              ["Rate limit", k.rateLimit ? rate(k.rateLimit) : <span class="muted">tenant's</span>],
              ["Monthly quota", k.monthlyQuota === null ? <span class="muted">tenant's</span> : count(k.monthlyQuota)],
              ["Expires", <Time iso={k.expiresAt} empty="never" now={now} />],
              ["Last used", <Time iso={k.lastUsedAt} now={now} />],
              ["Created", <Time iso={k.createdAt} now={now} />],
              ...(k.revokedAt ? ([["Revoked", <Time iso={k.revokedAt} now={now} />]] as [string, Child][]) : []),
            ]}
          />
          {k.description ? <p class="description">{k.description}</p> : null}
        </Card>
        <Card title="Last 30 days" id="key-usage">
          {usage instanceof ApiProblem ? (
            <Notice title={usage.title + "."} detail={usage.detail} tone="warn" />
          ) : (
            <>
              <dl class="stats stats-small">
                <div class="stat">
                  <dt>Requests</dt>
                  <dd>
                    <span class="stat-value">{count(usage.totals.requests)}</span>
                  </dd>
                </div>
                <div class="stat">
                  <dt>Refused (429)</dt>
                  <dd>
                    <span class="stat-value">{count(usage.totals.refused)}</span>
                  </dd>
                </div>
                <div class="stat">
                  <dt>Cost</dt>
                  <dd>
                    <span class="stat-value">{usd(usage.totals.costUsd)}</span>
                  </dd>
                </div>
              </dl>
              {usage.routes.length === 0 ? (
                <Empty title="Not used in the last 30 days">Calls with this key are counted here by route.</Empty>
              ) : (
                <TableWrap label="Usage by route">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Route</th>
                        <th scope="col" class="num">
                          Requests
                        </th>
                        <th scope="col" class="num">
                          4xx
                        </th>
                        <th scope="col" class="num">
                          5xx
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {usage.routes.map((r) => (
                        <tr>
                          <td class="mono">{r.route}</td>
                          <td class="num">{count(r.requests)}</td>
                          <td class="num">{count(r.status4xx)}</td>
                          <td class="num">{count(r.status5xx)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
            </>
          )}
        </Card>
      </div>
      <Card title="Requests by outcome" id="key-outcomes" actions={<RangePicker url={url} current={range.id} />}>
        {byOutcome instanceof ApiProblem ? (
          <Notice title={byOutcome.title + "."} detail={byOutcome.detail} tone="warn" />
        ) : (
          <Chart testid="chart-outcomes" title="Requests by outcome" group="outcome" src={outcomeSrc} points={byOutcome.data} range={range} emptyHint="Calls with this key show up here within a minute." />
        )}
      </Card>
      <Card title="Requests by route" id="key-routes">
        {byRoute instanceof ApiProblem ? (
          <Notice title={byRoute.title + "."} detail={byRoute.detail} tone="warn" />
        ) : (
          <Chart testid="chart-routes" title="Requests by route" group="route" src={routeSrc} points={byRoute.data} range={range} />
        )}
      </Card>
      {live ? <KeyEdit k={k} /> : null}
      <Card title="Audit trail" id="key-audit" actions={<a href={`/console/audit${query({ targetId: k.id })}`}>Full log</a>}>
        {audit instanceof ApiProblem ? <Notice title={audit.title + "."} detail={audit.detail} tone="warn" /> : <AuditTable entries={audit.data} now={now} showTarget={false} />}
      </Card>
    </>
  );
  return { title: k.name, nav: "keys", body, charts: true, actions: <Actions k={k} live={live} />, lead: `${k.environment} key · ${k.scopes.join(", ")}` };
};

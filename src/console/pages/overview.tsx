// The overview: requests by outcome over time, the totals that matter (auth failures, 429s, cost this
// month, alerts firing), the busiest keys and, for the platform, the networks failing auth most.
// Each panel stands alone: one the API refuses says so without taking the others down.
import { AUTH_FAILURES } from "../../analytics/outcome.ts";
import { ApiProblem, query } from "../api.ts";
import { analyticsPath, Chart, RangePicker, rangeOf, totalsBy } from "../components/chart.tsx";
import { Badge, Card, Empty, Notice, Stat, TableWrap, Time } from "../components/ui.tsx";
import { count, monthStart, outcomeLabel, percent, usd } from "../format.ts";
import type { PageFn } from "../page.tsx";
import type { Alert, Key, OffenderList, Page, Series, Usage } from "../types.ts";

const RATE_LIMITED = ["rate_limited", "quota_exceeded"];

const Problem = ({ p }: { p: ApiProblem }) => <Notice title={p.title + "."} detail={p.detail} tone={p.status >= 500 ? "bad" : "warn"} />;

export const overviewPage: PageFn = async ({ api, viewer, url, now }) => {
  const range = rangeOf(url, now);
  const byOutcomeSrc = analyticsPath(range, "outcome");
  const [byOutcome, byKey, offenders, month, firing] = await Promise.all([
    api<Series>("GET", byOutcomeSrc),
    api<Series>("GET", analyticsPath(range, "key")),
    viewer.platform ? api<OffenderList>("GET", `/v1/analytics/offenders${query({ limit: 8, from: range.from, to: range.to })}`) : Promise.resolve(null),
    api<Usage>("GET", `/v1/usage${query({ from: monthStart(now) })}`),
    api<Page<Alert>>("GET", "/v1/alerts?state=firing&limit=20"),
  ]);

  const outcomeTotals = byOutcome instanceof ApiProblem ? [] : totalsBy(byOutcome.data, "outcome");
  const sum = (pick: (o: string) => boolean) => outcomeTotals.filter(([o]) => pick(o)).reduce((n, [, v]) => n + v, 0);
  const total = sum(() => true);
  const authFailures = sum((o) => (AUTH_FAILURES as readonly string[]).includes(o));
  const limited = sum((o) => RATE_LIMITED.includes(o));

  // The busiest keys, by name: the newest keys in one read, then any older one of the top few
  // on its own (every page read is the caller's API traffic, counted and limited like any).
  const topKeys = byKey instanceof ApiProblem ? [] : totalsBy(byKey.data, "key").slice(0, 6);
  const names = new Map<string, string>();
  if (topKeys.length > 0) {
    const recent = await api<Page<Key>>("GET", "/v1/keys?limit=100");
    if (!(recent instanceof ApiProblem)) for (const k of recent.data) names.set(k.id, k.name);
    await Promise.all(
      topKeys
        .filter(([id]) => id.startsWith("key_") && !names.has(id))
        .map(async ([id]) => {
          const k = await api<Key>("GET", `/v1/keys/${id}`);
          if (!(k instanceof ApiProblem)) names.set(id, k.name);
        }),
    );
  }

  const body = (
    <>
      <dl class="stats" aria-label={`Last ${range.label}`}>
        <Stat label="Requests" value={count(total)} note={`last ${range.label}`} testid="stat-requests" />
        <Stat label="Auth failures" value={count(authFailures)} note={percent(authFailures, total)} tone={authFailures > 0 ? "warn" : undefined} testid="stat-auth-failures" />
        <Stat label="Rate limited (429)" value={count(limited)} note={percent(limited, total)} tone={limited > 0 ? "warn" : undefined} testid="stat-429" />
        <Stat label="Cost this month" value={month instanceof ApiProblem ? "—" : usd(month.totals.costUsd)} note={month instanceof ApiProblem ? month.title : `${count(month.totals.requests)} requests`} testid="stat-cost" />
        <Stat
          label="Alerts firing"
          value={firing instanceof ApiProblem ? "—" : String(firing.data.length)}
          tone={!(firing instanceof ApiProblem) && firing.data.length > 0 ? "bad" : "ok"}
          testid="stat-alerts"
        />
      </dl>

      <Card title="Requests by outcome" id="outcomes" actions={<RangePicker url={url} current={range.id} />}>
        {byOutcome instanceof ApiProblem ? (
          <Problem p={byOutcome} />
        ) : (
          <Chart testid="chart-outcomes" title="Requests by outcome" group="outcome" src={byOutcomeSrc} points={byOutcome.data} range={range} emptyHint="Make a request with a key, e.g. curl -H 'Authorization: Bearer …' /v1/auth/me; it shows up here within a minute." />
        )}
        {outcomeTotals.length > 0 ? (
          <ul class="legend-list" aria-label="Totals by outcome">
            {outcomeTotals.map(([o, n]) => (
              <li>
                <span class={`dot dot-${o}`} aria-hidden="true"></span>
                {outcomeLabel(o)} <strong>{count(n)}</strong>
              </li>
            ))}
          </ul>
        ) : null}
      </Card>

      <div class="grid-2">
        <Card title="Top keys" id="top-keys">
          {byKey instanceof ApiProblem ? (
            <Problem p={byKey} />
          ) : topKeys.length === 0 ? (
            <Empty title="No key has made a request yet">
              <a href="/console/keys">Create a key</a> and use it; the busiest ones are listed here.
            </Empty>
          ) : (
            <TableWrap label="Top keys">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col" class="num">
                      Requests
                    </th>
                    <th scope="col" class="num">
                      Share
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {topKeys.map(([id, n]) => (
                    <tr data-testid={`row-${id}`}>
                      <td>{id.startsWith("key_") ? <a href={`/console/keys/${id}`}>{names.get(id) ?? id}</a> : <span class="muted">no key (refused before one was known)</span>}</td>
                      <td class="num">{count(n)}</td>
                      <td class="num">{percent(n, total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </Card>

        <Card title="Alerts firing" id="alerts-firing" actions={<a href="/console/alerts">All rules</a>}>
          {firing instanceof ApiProblem ? (
            <Problem p={firing} />
          ) : firing.data.length === 0 ? (
            <Empty title="Nothing is firing">
              <a href="/console/alerts">Alert rules</a> watch auth failures, 429s, errors and cost, and call a webhook when they cross a threshold.
            </Empty>
          ) : (
            <ul class="list">
              {firing.data.map((a) => (
                <li data-testid={`row-${a.id}`}>
                  <Badge state="firing" /> <a href={`/console/alerts/${a.id}`}>{a.name}</a>{" "}
                  <span class="muted">
                    {a.metric} {a.lastValue ?? "?"} ≥ {a.threshold} · <Time iso={a.lastEvaluatedAt} now={now} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>

      {offenders === null ? null : (
        <Card title="Top offending networks" id="offenders">
          {offenders instanceof ApiProblem ? (
            <Problem p={offenders} />
          ) : offenders.data.length === 0 ? (
            <Empty title="No failed authentications">Networks that send missing, unknown or revoked keys are ranked here.</Empty>
          ) : (
            <TableWrap label="Top offending networks">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Network</th>
                    <th scope="col" class="num">
                      Failures
                    </th>
                    <th scope="col">Mostly</th>
                  </tr>
                </thead>
                <tbody>
                  {offenders.data.map((o) => {
                    const top = Object.entries(o.outcomes).sort((a, b) => b[1] - a[1])[0];
                    return (
                      <tr>
                        <td class="mono">{o.network}</td>
                        <td class="num">{count(o.requests)}</td>
                        <td>{top ? outcomeLabel(top[0]) : "—"}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}
        </Card>
      )}
    </>
  );
  return { title: "Overview", nav: "overview", body, charts: true, lead: viewer.platform ? "Every tenant's traffic through the gateway." : `Traffic of ${viewer.tenantName ?? "your tenant"}.` };
};

// Charts: public/assets/console/charts.js draws them with uPlot from the same /v1/analytics query the
// server read; the server renders the totals as a table beside the plot (visually hidden: what a
// screen reader gets instead of the canvas) and an empty state when there was no traffic.
import type { FC } from "hono/jsx";
import { query } from "../api.ts";
import { count, OUTCOME_LABELS, outcomeLabel } from "../format.ts";
import type { Series } from "../types.ts";
import { Empty } from "./ui.tsx";

export const RANGES = {
  "1h": { ms: 3_600_000, interval: "minute", label: "1 hour" },
  "24h": { ms: 86_400_000, interval: "hour", label: "24 hours" },
  "7d": { ms: 7 * 86_400_000, interval: "hour", label: "7 days" },
  "30d": { ms: 30 * 86_400_000, interval: "day", label: "30 days" },
} as const;
export type RangeId = keyof typeof RANGES;

export type Range = { id: RangeId; from: string; to: string; interval: string; label: string };

/** The range a page shows (?range=…, default 24 h), ending now. */
export function rangeOf(url: URL, now: number): Range {
  const asked = url.searchParams.get("range") ?? "24h";
  const id: RangeId = Object.hasOwn(RANGES, asked) ? (asked as RangeId) : "24h";
  const r = RANGES[id];
  return { id, from: new Date(now - r.ms).toISOString(), to: new Date(now).toISOString(), interval: r.interval, label: r.label };
}

/** The /v1/analytics path for a range and grouping, with filters (keyId, tenantId). */
export function analyticsPath(range: Range, groupBy: string, filters: Record<string, string | undefined> = {}): string {
  return `/v1/analytics${query({ interval: range.interval, groupBy, from: range.from, to: range.to, ...filters })}`;
}

export const RangePicker: FC<{ url: URL; current: RangeId }> = ({ url, current }) => (
  <nav class="segmented" aria-label="Time range">
    {(Object.keys(RANGES) as RangeId[]).map((id) => {
      const u = new URL(url);
      u.searchParams.set("range", id);
      return (
        <a href={u.pathname + u.search} aria-current={id === current ? "true" : undefined}>
          {id}
        </a>
      );
    })}
  </nav>
);

type Point = Series["data"][number];

/** Requests per value of the grouping (outcome, route, key) over the whole range, most first. */
export function totalsBy(points: Point[], group: "outcome" | "route" | "key"): [string, number][] {
  const totals = new Map<string, number>();
  for (const p of points) {
    const k = String(p[group] ?? "(none)");
    totals.set(k, (totals.get(k) ?? 0) + p.requests);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

type ChartProps = {
  testid: string;
  title: string;
  group: "outcome" | "route";
  src: string;
  points: Point[];
  range: Range;
  emptyHint?: string;
};

export const Chart: FC<ChartProps> = (p) => {
  const totals = totalsBy(p.points, p.group);
  const label = (k: string) => (p.group === "outcome" ? outcomeLabel(k) : k);
  const captionId = `${p.testid}-caption`;
  if (totals.length === 0) {
    return (
      <figure class="chart chart-empty" data-testid={p.testid} data-state="empty" aria-labelledby={captionId}>
        <figcaption id={captionId} class="sr-only">
          {p.title}
        </figcaption>
        <Empty title={`No requests in the last ${p.range.label}`}>{p.emptyHint ?? "Traffic shows up here within a minute of reaching the gateway."}</Empty>
      </figure>
    );
  }
  return (
    <figure class="chart" data-testid={p.testid} data-chart={p.group} data-labels={p.group === "outcome" ? JSON.stringify(OUTCOME_LABELS) : "{}"} data-src={p.src} data-interval={p.range.interval} aria-labelledby={captionId}>
      <figcaption id={captionId} class="sr-only">
        {p.title}, last {p.range.label}
      </figcaption>
      <div class="chart-plot" aria-hidden="true"></div>
      <p class="chart-loading muted" aria-hidden="true">
        Drawing the chart…
      </p>
      <table class="sr-only">
        <caption>
          {p.title}, last {p.range.label}: totals
        </caption>
        <thead>
          <tr>
            <th scope="col">{p.group === "outcome" ? "Outcome" : "Route"}</th>
            <th scope="col">Requests</th>
          </tr>
        </thead>
        <tbody>
          {totals.map(([k, n]) => (
            <tr>
              <th scope="row" data-series={k}>
                {label(k)}
              </th>
              <td>{count(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
};

// examples/grafana/keygate-dashboard.json: a dashboard Grafana can import (a ${DS_PROMETHEUS}
// input), whose every query is valid PromQL (Prometheus's own grammar, @prometheus-io/lezer-promql)
// and asks only for series and labels that /v1/metrics really exposes, read from an exposition the
// route's own code renders and a Prometheus parser reads back.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { HISTOGRAM_SIZE } from "../../src/core/latency-histogram.ts";
import { renderExposition } from "../../src/insight/exposition.ts";
import { metricFamilies } from "../../src/insight/metrics-families.ts";
import { parseScrape } from "../support/prometheus.ts";

const DIR = path.join(import.meta.dirname, "../../examples/grafana");
const dashboard = JSON.parse(readFileSync(path.join(DIR, "keygate-dashboard.json"), "utf8"));
const DS = "${DS_PROMETHEUS}";

const hist = Array.from({ length: HISTOGRAM_SIZE }, (_, i) => i);
const exposition = renderExposition(
  metricFamilies({
    traffic: [
      { tenantId: "ten_a", route: "POST /v1/query", outcome: "valid", requests: 91, cost: 182, latencyMsSum: 12345, hist },
      { tenantId: "", route: "(unauthenticated)", outcome: "missing_credential", requests: 91, cost: 0, latencyMsSum: 10, hist },
    ],
    keys: [{ tenantId: "ten_a", state: "active", n: 2 }],
    jobs: [{ status: "running", n: 1 }],
    alertsFiring: 1,
    tenants: [{ id: "ten_a", slug: "acme", plan: "pro", pricePer1kTokens: null }],
  }),
);

/** Every series name /v1/metrics exposes, with the labels it carries. */
function exposedSeries(): Map<string, Set<string>> {
  const scrape = parseScrape(exposition);
  const series = new Map<string, Set<string>>();
  const add = (name: string, labels: Record<string, string> | undefined) => {
    const set = series.get(name) ?? new Set<string>();
    for (const l of Object.keys(labels ?? {})) set.add(l);
    series.set(name, set);
  };
  for (const f of scrape.families.values()) if (f.type !== "HISTOGRAM") for (const m of f.metrics) add(f.name, m.labels);
  for (const l of scrape.histogramLines) add(l.name, l.labels);
  return series;
}

type Panel = { id: number; type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource?: { uid: string } }[]; gridPos: { w: number; x: number } };
const panels: Panel[] = dashboard.panels;
const queryPanels = panels.filter((p) => p.type !== "row");
// Grafana fills these in before Prometheus sees the query; a multi-value variable becomes a regex.
const expand = (expr: string) => expr.replaceAll("$tenant", ".*").replaceAll("$__rate_interval", "5m");

/** The selectors (metric and matcher labels) and grouping labels of a PromQL expression. */
function analyse(expr: string) {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: { metric: string; labels: string[] }[] = [];
  const grouping: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`);
      if (node.name === "VectorSelector") {
        const metric = node.node.getChild("Identifier");
        const labels = node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? [];
        selectors.push({
          metric: metric ? expr.slice(metric.from, metric.to) : "",
          labels: labels.map((m) => m.getChild("LabelName")!).map((n) => expr.slice(n.from, n.to)),
        });
      }
      if (node.name === "GroupingLabels") for (const l of node.node.getChildren("LabelName")) grouping.push(expr.slice(l.from, l.to));
    },
  });
  return { errors, selectors, grouping };
}

describe("the Grafana dashboard", () => {
  it("is a dashboard Grafana imports: schemaVersion 39, a Prometheus datasource input used by every panel and query", () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe("keygate-overview");
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" })]);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of queryPanels) {
      expect(p.datasource?.uid, p.title).toBe(DS);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(DS);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    expect(dashboard.templating.list.map((v: { datasource: { uid: string } }) => v.datasource.uid)).toEqual([DS]);
  });

  it("has the panels operators look for", () => {
    const exprs = (title: RegExp) => queryPanels.filter((p) => title.test(p.title)).flatMap((p) => p.targets!.map((t) => t.expr));
    expect(exprs(/request rate by outcome/i)).toEqual([expect.stringMatching(/^sum by \(outcome\) \(rate\(keygate_requests_total\{.*\}\[5m\]\)\)$/)]);
    expect(exprs(/auth failures/i).join()).toContain("unknown_key");
    expect(exprs(/429/).join()).toContain("rate_limited|quota_exceeded");
    expect(exprs(/latency/i).map((e) => /^histogram_quantile\((0\.\d+),/.exec(e)?.[1])).toEqual(["0.5", "0.95", "0.99"]);
    expect(exprs(/cost tokens by tenant/i).join()).toContain("keygate_request_cost_tokens_total");
    expect(exprs(/keys by state/i).join()).toContain("keygate_keys");
    expect(exprs(/jobs by state/i).join()).toContain("keygate_jobs");
    expect(exprs(/alerts firing/i).join()).toContain("keygate_alerts_firing");
  });

  it("every query parses as PromQL and asks only for series and labels /v1/metrics exposes", () => {
    const series = exposedSeries();
    expect([...series.keys()]).toContain("keygate_request_duration_seconds_bucket");
    const queries = [...queryPanels.flatMap((p) => p.targets!.map((t) => ({ where: p.title, expr: t.expr }))), { where: "variable tenant", expr: "keygate_tenant_info" }];
    for (const { where, expr } of queries) {
      const { errors, selectors, grouping } = analyse(expand(expr));
      expect(errors, `${where}: ${expr}`).toEqual([]);
      expect(selectors.length, where).toBeGreaterThan(0);
      const available = new Set<string>();
      for (const s of selectors) {
        expect(series.has(s.metric), `${where}: ${s.metric} is not exposed`).toBe(true);
        const labels = series.get(s.metric)!;
        for (const l of s.labels) expect(labels.has(l), `${where}: ${s.metric} has no label ${l}`).toBe(true);
        for (const l of labels) available.add(l);
      }
      for (const l of grouping) expect(available.has(l), `${where}: no selector has the label ${l}`).toBe(true);
    }
  });

  it("the tenant variable reads slugs and ids from keygate_tenant_info", () => {
    const [variable] = dashboard.templating.list;
    expect(variable.query.query).toBe("query_result(keygate_tenant_info)");
    const regex = /^\/(.*)\/$/.exec(variable.regex)![1]!;
    // What Prometheus returns for query_result: labels sorted by name, then value and timestamp.
    const line = 'keygate_tenant_info{instance="keygate.example:443", job="keygate", plan="pro", slug="acme", tenant="ten_a"} 1 1767225600000';
    expect(new RegExp(regex).exec(line)?.groups).toEqual({ text: "acme", value: "ten_a" });
  });

  it("the README's scrape config points at /v1/metrics with a bearer token", () => {
    const readme = readFileSync(path.join(DIR, "README.md"), "utf8");
    expect(readme).toMatch(/metrics_path: \/v1\/metrics/);
    expect(readme).toMatch(/authorization:\s*\n\s*type: Bearer\s*\n\s*credentials_file:/);
    expect(readme).not.toMatch(/kg_(live|test)_[0-9A-Za-z]{8,}/);
  });

  // promtool is Prometheus's own linter; Debian's `prometheus` package has it. Skipped without it.
  const promtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
  it.skipIf(!promtool)("the exposition passes `promtool check metrics` (when promtool is installed)", () => {
    const run = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});

// The Prometheus text exposition format, version 0.0.4: what every Prometheus since 1.x, Grafana
// Agent and the OpenTelemetry collector scrape. Written by hand because it is a few escaping
// rules, and because client libraries (prom-client, @hono/prometheus) keep counters in the
// isolate, which on Workers would show one isolate's share of traffic.

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Record<string, string>;
export type Sample = { labels: Labels; value: number };
export type HistogramSample = {
  labels: Labels;
  /** Cumulative counts, one per upper bound of `bounds`, the last (+Inf) equal to count. */
  cumulative: number[];
  sum: number;
  count: number;
};

export type Family =
  | { name: string; type: "counter" | "gauge"; help: string; samples: Sample[] }
  | { name: string; type: "histogram"; help: string; bounds: readonly number[]; samples: HistogramSample[] };

// A label value may hold anything a route or slug holds; these three would end the value or line.
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === "\n" ? "\\n" : `\\${ch}`));
}

// HELP text has no quotes to end, so only backslash and line feed are escaped there.
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => (ch === "\n" ? "\\n" : "\\\\"));
}

/** Go's ParseFloat reads JS's shortest round-trip form; only the infinities and NaN are spelled differently. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelSet(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function histogramLines(name: string, bounds: readonly number[], s: HistogramSample): string[] {
  const lines = bounds.map((le, i) => `${name}_bucket${labelSet({ ...s.labels, le: formatValue(le) })} ${formatValue(s.cumulative[i] ?? 0)}`);
  lines.push(`${name}_bucket${labelSet({ ...s.labels, le: "+Inf" })} ${formatValue(s.count)}`);
  lines.push(`${name}_sum${labelSet(s.labels)} ${formatValue(s.sum)}`);
  lines.push(`${name}_count${labelSet(s.labels)} ${formatValue(s.count)}`);
  return lines;
}

/** The families in order, each with HELP and TYPE and its samples together, ending with a line feed. */
export function renderExposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === "histogram") for (const s of f.samples) lines.push(...histogramLines(f.name, f.bounds, s));
    else for (const s of f.samples) lines.push(`${f.name}${labelSet(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.join("\n") + "\n";
}

// keygate console: charts. Each <figure class="chart" data-src="/v1/analytics?…"> is drawn with uPlot
// (served by the Worker at /assets/vendor/uplot/) from the same query the server summarised in the
// figure's table. A read needs no CSRF token: the session cookie goes along by itself.

const STEP = { minute: 60, hour: 3600, day: 86400 };
const MAX_SERIES = 6;

const OUTCOME_COLORS = {
  valid: "--c-valid",
  rate_limited: "--c-limited",
  quota_exceeded: "--c-quota",
  missing_credential: "--c-auth",
  malformed_key: "--c-auth2",
  unknown_key: "--c-auth3",
  revoked: "--c-revoked",
  expired: "--c-muted",
  disabled: "--c-muted2",
  forbidden: "--c-forbidden",
  invalid_request: "--c-invalid",
  origin_error: "--c-error",
  gateway_error: "--c-error2",
  tenant_inactive: "--c-muted",
};
const PALETTE = ["--c-p1", "--c-p2", "--c-p3", "--c-p4", "--c-p5", "--c-p6", "--c-muted"];

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

/** Every bucket of the range (the API leaves out empty ones), one series per group value. */
function toColumns(series, group, interval) {
  const step = STEP[interval] ?? 3600;
  const from = Math.floor(Date.parse(series.from) / 1000 / step) * step;
  const to = Math.ceil(Date.parse(series.to) / 1000);
  const xs = [];
  for (let t = from; t < to; t += step) xs.push(t);
  const index = new Map(xs.map((t, i) => [t, i]));
  const totals = new Map();
  for (const p of series.data) totals.set(p[group] ?? "(none)", (totals.get(p[group] ?? "(none)") ?? 0) + p.requests);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const shown = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
  const other = ranked.length > MAX_SERIES ? "other" : null;
  const names = other ? [...shown, other] : shown;
  const ys = names.map(() => xs.map(() => 0));
  for (const p of series.data) {
    const i = index.get(Math.floor(Date.parse(p.time) / 1000 / step) * step);
    if (i === undefined) continue;
    const k = p[group] ?? "(none)";
    const s = shown.includes(k) ? shown.indexOf(k) : names.length - 1;
    ys[s][i] += p.requests;
  }
  return { xs, names, ys, points: series.data.length };
}

function options(fig, names, group) {
  // The series' names as people read them, from the page (the server's one list of outcome labels).
  const labels = JSON.parse(fig.dataset.labels ?? "{}");
  const axis = { stroke: css("--muted"), grid: { stroke: css("--grid"), width: 1 }, ticks: { stroke: css("--grid") } };
  return {
    width: Math.max(280, fig.querySelector(".chart-plot").clientWidth),
    height: fig.clientWidth < 500 ? 200 : 260,
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [axis, { ...axis, size: 50 }],
    series: [
      {},
      ...names.map((name, i) => ({
        label: labels[name] ?? name,
        stroke: css(group === "outcome" ? (OUTCOME_COLORS[name] ?? PALETTE[i % PALETTE.length]) : PALETTE[i % PALETTE.length]),
        width: 2,
        points: { size: 4 },
        value: (_u, v) => (v == null ? "—" : v.toLocaleString()),
      })),
    ],
  };
}

function say(fig, text) {
  const note = fig.querySelector(".chart-loading");
  if (note) {
    note.textContent = text;
    note.hidden = false;
  }
}

async function draw(fig) {
  const uPlot = globalThis.uPlot;
  if (!uPlot) {
    // The table of totals is the chart then; show it rather than nothing.
    fig.querySelector("table")?.classList.remove("sr-only");
    return say(fig, "The chart library did not load; here are the totals.");
  }
  let res;
  try {
    res = await fetch(fig.dataset.src, { credentials: "same-origin", headers: { accept: "application/json" }, cache: "no-store" });
  } catch {
    return say(fig, "The gateway could not be reached to draw the chart.");
  }
  const body = await res.json().catch(() => null);
  if (!res.ok || !body) return say(fig, body?.detail ?? `The chart could not be loaded (${res.status}).`);
  const group = fig.dataset.chart;
  const { xs, names, ys, points } = toColumns(body, group, fig.dataset.interval);
  const plot = fig.querySelector(".chart-plot");
  plot.replaceChildren();
  const chart = new uPlot(options(fig, names, group), [xs, ...ys], plot);
  fig.querySelector(".chart-loading").hidden = true;
  if (points > 0) fig.dataset.ready = "true";
  else fig.dataset.state = "empty";
  new ResizeObserver(() => chart.setSize({ width: Math.max(280, plot.clientWidth), height: fig.clientWidth < 500 ? 200 : 260 })).observe(plot);
}

for (const fig of document.querySelectorAll("figure.chart[data-src]")) draw(fig);

// Reads a /v1/metrics answer the way a scraper does: with a real Prometheus text-format parser
// (parse-prometheus-text-format), never with the code under test.
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";

type Labels = Record<string, string>;
type HistogramLine = { name: string; labels: Labels; value: number };
export type Scrape = { text: string; families: Map<string, ParsedFamily>; histogramLines: HistogramLine[] };

export function parseScrape(text: string): Scrape {
  // The parser drops a last sample that is not followed by a line feed; the format ends with one.
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a line feed");
  const parsed = parsePrometheusTextFormat(text);
  // The parser folds a histogram's buckets into one sample, which is right only for a histogram
  // without labels; so its lines are read again, each as a plain sample of the same parser.
  const histogramLines = parsed
    .filter((f) => f.type === "HISTOGRAM")
    .flatMap((f) => {
      const own = text.split("\n").filter((l) => /^(\w+)(_bucket|_sum|_count)[{ ]/.exec(l)?.[1] === f.name);
      return parsePrometheusTextFormat(own.join("\n") + "\n").flatMap((u) => u.metrics.map((m) => ({ name: u.name, labels: m.labels ?? {}, value: Number(m.value) })));
    });
  return { text, families: new Map(parsed.map((f) => [f.name, f])), histogramLines };
}

export function family(scrape: Scrape, name: string): ParsedFamily {
  const f = scrape.families.get(name);
  if (!f) throw new Error(`no family ${name} in the scrape`);
  return f;
}

const sameLabels = (labels: Labels | undefined, want: Labels) =>
  Object.keys(labels ?? {}).length === Object.keys(want).length && Object.entries(want).every(([k, v]) => (labels ?? {})[k] === v);

/** The value of the one counter or gauge sample with exactly these labels; undefined if none. */
export function valueOf(scrape: Scrape, name: string, labels: Labels = {}): number | undefined {
  const found = family(scrape, name).metrics.filter((m) => sameLabels(m.labels, labels));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return found[0] ? Number(found[0].value) : undefined;
}

/** Every label set of a counter or gauge family, with its value. */
export function samplesOf(scrape: Scrape, name: string): { labels: Labels; value: number }[] {
  return family(scrape, name).metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }));
}

/** The histogram with exactly these labels (le aside): its buckets in the order sent, _sum and _count. */
export function histogramOf(scrape: Scrape, name: string, labels: Labels) {
  const mine = scrape.histogramLines.filter((l) => {
    const { le: _le, ...rest } = l.labels;
    return sameLabels(rest, labels);
  });
  const single = (suffix: string) => {
    const lines = mine.filter((l) => l.name === name + suffix);
    if (lines.length !== 1) throw new Error(`${lines.length} ${name}${suffix} lines with ${JSON.stringify(labels)}`);
    return lines[0]!.value;
  };
  const buckets = mine.filter((l) => l.name === `${name}_bucket`).map((l) => ({ le: l.labels.le!, n: l.value }));
  return { buckets, sum: single("_sum"), count: single("_count") };
}

/** The label sets a histogram family has (le aside). */
export function histogramLabelSets(scrape: Scrape, name: string): Labels[] {
  return scrape.histogramLines.filter((l) => l.name === `${name}_count`).map((l) => l.labels);
}

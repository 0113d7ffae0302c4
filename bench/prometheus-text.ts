/** Just enough of the Prometheus text exposition format to read Vigil's own counters. */

export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) {
      if (label[1] !== undefined) labels[label[1]] = label[2] ?? '';
    }
    series.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return series;
}

/**
 * Sum of every series of `name` whose labels include `labels`; null when there is none (the
 * metric does not exist yet, which differs from a counter at zero).
 */
export function sumSeries(series: readonly Series[], name: string, labels: Record<string, string> = {}): number | null {
  let total: number | null = null;
  for (const entry of series) {
    if (entry.name !== name) continue;
    if (!Object.entries(labels).every(([key, value]) => entry.labels[key] === value)) continue;
    total = (total ?? 0) + entry.value;
  }
  return total;
}

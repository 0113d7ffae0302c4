/**
 * What the console needs to know about a query's text without parsing it (the server does
 * that): where the pipes start, how to add a `field:value` filter in front of them, and the
 * time range a relative bound like `now-24h` stands for, to pick a histogram's span.
 */

/** Index of the first `|` that starts the pipes (not quoted, not escaped, not part of `||`); -1 if none. */
export function pipeStart(q: string): number {
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '|') {
      if (q[i + 1] === '|') {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

export function hasPipes(q: string): boolean {
  return pipeStart(q) >= 0;
}

/** The query with `term` ANDed to its filter, its pipes kept. */
export function withFilter(q: string, term: string): string {
  const at = pipeStart(q);
  const filter = (at < 0 ? q : q.slice(0, at)).trim();
  const pipes = at < 0 ? '' : ` ${q.slice(at).trim()}`;
  if (filter === '' || filter === '*') return `${term}${pipes}`;
  // OR binds looser than the implicit AND, so a filter with OR is grouped first.
  const grouped = /(^|\s)(OR|\|\|)(\s|$)/.test(filter) ? `(${filter})` : filter;
  return `${grouped} ${term}${pipes}`;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A time bound as the API reads it (ISO 8601, epoch s or ms, `now-15m`, `-2h`, `now`), in ms; undefined if unreadable. */
export function timeOf(text: string, now = Date.now()): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'now') return now;
  const rel = /^(?:now)?-(\d+)([smhdw])$/.exec(t);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{1,11}$/.test(t)) return Number(t) * 1000;
  if (/^\d{12,15}$/.test(t)) return Number(t);
  const parsed = Date.parse(t);
  return Number.isFinite(parsed) ? parsed : undefined;
}

const SPANS: readonly [string, number][] = [
  ['1m', 60_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['3h', 10_800_000],
  ['6h', 21_600_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
  ['7d', 604_800_000],
];

/** A span giving at most about 80 buckets over the range. */
export function spanFor(fromMs: number | undefined, toMs: number | undefined): [string, number] {
  if (fromMs === undefined || toMs === undefined || toMs <= fromMs) return ['1h', 3_600_000];
  const wanted = (toMs - fromMs) / 80;
  return SPANS.find(([, ms]) => ms >= wanted) ?? SPANS[SPANS.length - 1]!;
}

/** Every bucket from `from` to `to` with its count (the server leaves empty buckets out). */
export function filledBuckets(points: ReadonlyMap<number, number>, spanMs: number, fromMs: number | undefined, toMs: number | undefined): { buckets: number[]; counts: number[] } {
  const known = [...points.keys()].sort((a, b) => a - b);
  const start = Math.floor((fromMs ?? known[0] ?? 0) / spanMs) * spanMs;
  const end = Math.floor((toMs ?? known[known.length - 1] ?? 0) / spanMs) * spanMs;
  const buckets: number[] = [];
  const counts: number[] = [];
  if (known.length === 0 && (fromMs === undefined || toMs === undefined)) return { buckets, counts };
  for (let t = start; t <= end && buckets.length < 2000; t += spanMs) {
    buckets.push(t);
    counts.push(points.get(t) ?? 0);
  }
  return { buckets, counts };
}

/**
 * Search: the query language with its pipes (docs/query-language.md). The query and the time
 * range live in the address, so a search can be shared and the back button works. A plain
 * search shows a histogram (a second query with `| timechart`), the newest events, and a field
 * sidebar whose top values (counted from the hits shown) filter or pivot; a query with pipes
 * shows its table, charted when it is a `| timechart`. Errors point at the column.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { queryColumn, queryString } from '../api/client.js';
import type { EventsResult, SearchResult, TableResult, VigilEvent } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { EventView } from '../components/event-view.js';
import { EntityValue, fieldTerm, isEntityField, isQueryField, timelinePath } from '../components/pivots.js';
import { filledBuckets, hasPipes, spanFor, timeOf, withFilter } from '../components/query-text.js';
import { durationText, Time } from '../components/time.js';
import { TimeChart, type ChartSeries } from '../components/time-chart.js';
import { Visible } from '../components/visible.js';
import { valueText, visibleText } from '../components/visible-text.js';
import { can, useUser } from '../session.js';
import { TableHead } from '../components/table-head.js';

const RANGES = [
  ['now-15m', 'Last 15 minutes'],
  ['now-1h', 'Last hour'],
  ['now-4h', 'Last 4 hours'],
  ['now-24h', 'Last 24 hours'],
  ['now-7d', 'Last 7 days'],
  ['now-30d', 'Last 30 days'],
  ['all', 'All time'],
] as const;

const EXAMPLES: readonly [string, string][] = [
  ['user.name:root', 'a field equals a value (case-insensitive)'],
  ['user.name:"Jane Doe"', 'quoted: exact, no wildcards'],
  ['host.name:web*', 'wildcards * and ?'],
  ['"Failed password"', 'free text in the record or message'],
  ['source.ip:10.0.0.0/8', 'an address inside a network'],
  ['destination.port>1024', 'comparisons > >= < <='],
  ['source.ip:*', 'the field exists'],
  ['a AND b, a OR b, NOT a, (a OR b) c', 'boolean logic; adjacent terms are ANDed'],
  ['… | stats count() by source.ip', 'count per value'],
  ['… | timechart span=1h count() by event.outcome', 'a chart over time'],
  ['… | top 5 user.name', 'the most frequent values'],
  ['… | sort -@timestamp | head 20', 'order and cut'],
  ['… | fields host.name, user.name', 'show only these fields'],
];

export function SearchPage(): ReactNode {
  const user = useUser();
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const fromParam = params.get('from') ?? 'now-24h';
  const toParam = params.get('to') ?? '';
  const limit = Math.min(10_000, Math.max(1, Number(params.get('limit')) || 200));
  const from = fromParam === 'all' ? '' : fromParam;

  const [draft, setDraft] = useState(q);
  const [rangeDraft, setRangeDraft] = useState(RANGES.some(([v]) => v === fromParam) && toParam === '' ? fromParam : 'custom');
  const [fromDraft, setFromDraft] = useState(fromParam === 'all' ? '' : fromParam);
  const [toDraft, setToDraft] = useState(toParam);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    setRangeDraft(RANGES.some(([v]) => v === fromParam) && toParam === '' ? fromParam : 'custom');
    setFromDraft(fromParam === 'all' ? '' : fromParam);
    setToDraft(toParam);
  }, [fromParam, toParam]);
  useEffect(() => {
    if ((location.state as { focusQuery?: boolean } | null)?.focusQuery) input.current?.focus();
  }, [location.state]);

  // The range is fixed for one search (relative bounds are read once, when it runs).
  const range = useMemo(() => {
    const now = Date.now();
    return { fromMs: from === '' ? undefined : timeOf(from, now), toMs: toParam === '' ? now : timeOf(toParam, now) };
  }, [from, toParam, params]);
  const main = useApi<SearchResult>(`/api/v1/search${queryString({ q, from, to: toParam, limit })}`);
  const piped = hasPipes(q);
  const [spanName, spanMs] = spanFor(range.fromMs, range.toMs);
  const histogram = useApi<TableResult>(piped ? null : `/api/v1/search${queryString({ q: `${q.trim() === '' ? '*' : q} | timechart span=${spanName} count()`, from, to: toParam })}`);

  const run = (next: { q?: string; from?: string; to?: string }) => {
    const p: Record<string, string> = {};
    const nq = next.q ?? q;
    const nf = next.from ?? fromParam;
    const nt = next.to ?? toParam;
    if (nq !== '') p['q'] = nq;
    if (nf !== 'now-24h') p['from'] = nf;
    if (nt !== '') p['to'] = nt;
    setParams(p);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (rangeDraft === 'custom') run({ q: draft, from: fromDraft.trim() === '' ? 'all' : fromDraft.trim(), to: toDraft.trim() });
    else run({ q: draft, from: rangeDraft, to: '' });
  };

  const addFilter = (field: string, value: string) => run({ q: withFilter(q, fieldTerm(field, value)) });

  const error = main.error;
  const column = error ? queryColumn(error) : undefined;
  useEffect(() => {
    if (column !== undefined && input.current) input.current.setSelectionRange(Math.max(0, column - 1), Math.min(q.length, column));
  }, [column, q]);

  const result = main.data;
  const exportLink = (format: 'csv' | 'ndjson') => `/api/v1/export${queryString({ q, from, to: toParam, format })}`;

  return (
    <section>
      <title>Search · Vigil</title>
      <h1>Search</h1>
      <form className="search-bar card" onSubmit={submit} role="search" aria-label="Events">
        <div className="field grow">
          <label htmlFor="search-query">Query</label>
          <input
            id="search-query"
            ref={input}
            className="mono"
            type="search"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder='e.g. "Failed password" AND source.ip:10.0.0.0/8 | stats count() by user.name'
            aria-invalid={error?.status === 400 ? true : undefined}
            aria-describedby={error ? 'search-error' : 'search-keys'}
            spellCheck={false}
            autoComplete="off"
          />
          <span id="search-keys" className="sr-only">
            Press slash anywhere to come back to this field.
          </span>
        </div>
        <div className="field">
          <label htmlFor="search-range">Time range</label>
          <select id="search-range" value={rangeDraft} onChange={(e) => setRangeDraft(e.target.value)}>
            {RANGES.map(([v, name]) => (
              <option key={v} value={v}>
                {name}
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
        </div>
        {rangeDraft === 'custom' ? (
          <>
            <div className="field">
              <label htmlFor="search-from">From</label>
              <input id="search-from" value={fromDraft} onChange={(e) => setFromDraft(e.target.value)} placeholder="2026-01-31T08:00Z or now-2h" />
            </div>
            <div className="field">
              <label htmlFor="search-to">To</label>
              <input id="search-to" value={toDraft} onChange={(e) => setToDraft(e.target.value)} placeholder="empty: now" />
            </div>
          </>
        ) : null}
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <details className="help card">
        <summary>Syntax help</summary>
        <table>
          <caption className="sr-only">Query language examples</caption>
          <TableHead columns={['Write', 'To get']} />
          <tbody>
            {EXAMPLES.map(([ex, what]) => (
              <tr key={ex}>
                <td>
                  <code>{ex}</code>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="small">Times: ISO 8601, epoch, or relative such as now-15m. Drag across the histogram to zoom into a time range.</p>
      </details>

      {error ? (
        <div id="search-error" className="notice error" role="alert">
          <span>{error.message}</span>
          {error.where ? <span className="where"> ({error.where})</span> : null}
          {column !== undefined && column <= q.length + 1 ? (
            <pre className="caret" aria-hidden="true">
              <Visible>{q}</Visible>
              {'\n'}
              {' '.repeat(Math.max(0, column - 1))}^
            </pre>
          ) : null}
        </div>
      ) : null}
      {main.loading ? <Loading what="results" /> : null}

      {result?.kind === 'events' ? (
        <>
          <section className="card" aria-labelledby="search-histogram">
            <h2 id="search-histogram">Histogram</h2>
            <Histogram table={histogram.data} spanMs={spanMs} fromMs={range.fromMs} toMs={range.toMs} onSelect={(f, t) => run({ from: new Date(f).toISOString(), to: new Date(t).toISOString() })} />
            <ErrorNotice error={histogram.error} label="Histogram" />
          </section>
          <div className="search-body">
            <FieldSidebar hits={result.hits} onFilter={addFilter} />
            <EventResults result={result} onFilter={addFilter} limit={limit} onMore={() => {
                const next = new URLSearchParams(params);
                next.set('limit', String(Math.min(10_000, limit * 2)));
                setParams(next);
              }} exportLinks={can(user, 'analyst') ? { csv: exportLink('csv'), ndjson: exportLink('ndjson') } : undefined} />
          </div>
        </>
      ) : null}
      {result?.kind === 'table' ? <TableResults table={result} query={q} onFilter={addFilter} exportLinks={can(user, 'analyst') ? { csv: exportLink('csv'), ndjson: exportLink('ndjson') } : undefined} /> : null}
    </section>
  );
}

function Histogram({ table, spanMs, fromMs, toMs, onSelect }: { readonly table: TableResult | undefined; readonly spanMs: number; readonly fromMs: number | undefined; readonly toMs: number | undefined; readonly onSelect: (from: number, to: number) => void }): ReactNode {
  const data = useMemo(() => {
    if (!table) return undefined;
    const points = new Map<number, number>();
    for (const row of table.rows) {
      const t = Date.parse(String(row[0]));
      if (Number.isFinite(t)) points.set(t, Number(row[1]) || 0);
    }
    const { buckets, counts } = filledBuckets(points, spanMs, fromMs, toMs);
    return { buckets, series: [{ label: 'events', values: counts }] as ChartSeries[] };
  }, [table, spanMs, fromMs, toMs]);
  if (!data) return <Loading what="the histogram" />;
  return <TimeChart label="Matching events over time" kind="bars" buckets={data.buckets} series={data.series} onSelect={onSelect} height={140} />;
}

function FieldSidebar({ hits, onFilter }: { readonly hits: readonly VigilEvent[]; readonly onFilter: (field: string, value: string) => void }): ReactNode {
  const fields = useMemo(() => {
    const byField = new Map<string, Map<string, number>>();
    for (const e of hits) {
      for (const [f, v] of Object.entries(e.fields ?? {})) {
        let values = byField.get(f);
        if (!values) byField.set(f, (values = new Map()));
        for (const one of Array.isArray(v) ? v : [v]) {
          const text = valueText(one);
          if (text === '') continue;
          values.set(text, (values.get(text) ?? 0) + 1);
        }
      }
    }
    return [...byField.entries()]
      .map(([field, values]) => ({
        field,
        present: [...values.values()].reduce((a, b) => a + b, 0),
        distinct: values.size,
        top: [...values.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5),
      }))
      .filter((f) => f.present > 0)
      .sort((a, b) => b.present - a.present || a.field.localeCompare(b.field))
      .slice(0, 60);
  }, [hits]);
  return (
    <aside className="sidebar card" aria-labelledby="search-fields">
      <h2 id="search-fields">Fields</h2>
      <p className="muted small">Top values among the {hits.length} events shown.</p>
      {fields.length === 0 ? <p className="muted">No fields.</p> : null}
      <ul className="plain field-list">
        {fields.map((f) => (
          <li key={f.field}>
            <details>
              <summary>
                <span className="mono">
                  <Visible max={80}>{f.field}</Visible>
                </span>{' '}
                <span className="muted small">
                  {f.distinct === 1 ? '1 value' : `${f.distinct} values`}
                </span>
              </summary>
              <ul className="plain values">
                {f.top.map(([value, n]) => (
                  <li key={value}>
                    {isQueryField(f.field) ? (
                      <button type="button" className="link value" onClick={() => onFilter(f.field, value)} aria-label={`Filter ${visibleText(f.field)}: ${visibleText(value).slice(0, 200)}`}>
                        <Visible max={120}>{value}</Visible>
                      </button>
                    ) : (
                      <Visible max={120}>{value}</Visible>
                    )}{' '}
                    <span className="muted small">{n}</span>
                    {isEntityField(f.field) ? (
                      <Link className="pivot" to={timelinePath(f.field, value)} aria-label={`Timeline for ${visibleText(f.field)} ${visibleText(value).slice(0, 200)}`}>
                        timeline
                      </Link>
                    ) : null}
                  </li>
                ))}
              </ul>
            </details>
          </li>
        ))}
      </ul>
    </aside>
  );
}

interface ExportLinks {
  readonly csv: string;
  readonly ndjson: string;
}

function Exports({ links }: { readonly links: ExportLinks | undefined }): ReactNode {
  if (!links) return null;
  return (
    <span className="row">
      <a href={links.csv} download>
        Export CSV
      </a>
      <a href={links.ndjson} download>
        Export NDJSON
      </a>
    </span>
  );
}

function EventResults({ result, onFilter, limit, onMore, exportLinks }: { readonly result: EventsResult; readonly onFilter: (field: string, value: string) => void; readonly limit: number; readonly onMore: () => void; readonly exportLinks: ExportLinks | undefined }): ReactNode {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const columns = result.fields && result.fields.length > 0 ? result.fields : undefined;
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <section className="results card" aria-labelledby="search-results">
      <div className="page-head">
        <h2 id="search-results">Results</h2>
        <p className="muted small" role="status">
          {result.total.toLocaleString('en')} events match; the newest {result.hits.length.toLocaleString('en')} are shown ({durationText(result.tookMs)}).
        </p>
        <Exports links={exportLinks} />
      </div>
      <table className="events">
        <caption className="sr-only">Matching events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
            <th scope="col">Time</th>
            {columns ? (
              columns.map((c) => (
                <th scope="col" key={c}>
                  <Visible>{c}</Visible>
                </th>
              ))
            ) : (
              <>
                <th scope="col">Host</th>
                <th scope="col">Source</th>
                <th scope="col">Message</th>
              </>
            )}
          </tr>
        </thead>
        <tbody>
          {result.hits.map((e) => (
            <EventRow key={e.id} event={e} columns={columns} open={open.has(e.id)} onToggle={() => toggle(e.id)} onFilter={onFilter} />
          ))}
        </tbody>
      </table>
      {result.hits.length < result.total && limit < 10_000 ? (
        <button type="button" onClick={onMore}>
          Show more events
        </button>
      ) : null}
    </section>
  );
}

function EventRow({ event, columns, open, onToggle, onFilter }: { readonly event: VigilEvent; readonly columns: readonly string[] | undefined; readonly open: boolean; readonly onToggle: () => void; readonly onFilter: (field: string, value: string) => void }): ReactNode {
  const host = valueText(event.fields?.['host.name']);
  const width = (columns?.length ?? 3) + 2;
  return (
    <>
      <tr className={open ? 'open' : ''}>
        <td>
          <button type="button" className="expand" aria-expanded={open} onClick={onToggle} aria-label={`Event details ${event.id}`}>
            {open ? '▾' : '▸'}
          </button>
        </td>
        <td className="nowrap">
          <Time ms={event.time} />
        </td>
        {columns ? (
          columns.map((c) => (
            <td key={c}>
              <Visible max={300}>{c === '@timestamp' ? new Date(event.time).toISOString() : event.fields?.[c]}</Visible>
            </td>
          ))
        ) : (
          <>
            <td>{host ? <EntityValue field="host.name" value={host} /> : <span className="muted">—</span>}</td>
            <td className="small">
              <Visible>{event.source?.input}</Visible> · <Visible>{event.format}</Visible>
            </td>
            <td className="message">
              <Visible max={400}>{event.fields?.['message'] ?? event.original}</Visible>
            </td>
          </>
        )}
      </tr>
      {open ? (
        <tr className="detail">
          <td colSpan={width}>
            <EventView event={event} onFilter={onFilter} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The `span=` of a `| timechart` in the query, in ms (the API's default is one hour). */
function spanOf(query: string): number {
  const m = /\|\s*timechart\b[^|]*\bspan=(\d+)([smhd])\b/i.exec(query);
  if (!m) return 3_600_000;
  return Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function TableResults({ table, query, onFilter, exportLinks }: { readonly table: TableResult; readonly query: string; readonly onFilter: (field: string, value: string) => void; readonly exportLinks: ExportLinks | undefined }): ReactNode {
  const chart = useMemo(() => timechartOf(table), [table]);
  return (
    <>
      {chart ? (
        <section className="card" aria-labelledby="search-chart">
          <h2 id="search-chart">Chart</h2>
          <TimeChart label="Timechart" kind={chart.series.length > 1 ? 'lines' : 'bars'} buckets={chart.buckets} series={chart.series} unit="" stepMs={spanOf(query)} />
        </section>
      ) : null}
      <section className="results card" aria-labelledby="search-results">
        <div className="page-head">
          <h2 id="search-results">Results</h2>
          <p className="muted small" role="status">
            {table.rows.length === 1 ? '1 row' : `${table.rows.length.toLocaleString('en')} rows`}{table.truncated ? ' (cut: add | head n for more, up to 10,000)' : ''} ({durationText(table.tookMs)}).
          </p>
          <Exports links={exportLinks} />
        </div>
        <table>
          <caption className="sr-only">Table result</caption>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th scope="col" key={c}>
                  <Visible>{c}</Visible>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) => {
                  const column = table.columns[j] ?? '';
                  const text = valueText(cell);
                  const numeric = typeof cell === 'number';
                  return (
                    <td key={j} className={numeric ? 'num' : ''}>
                      {!numeric && text !== '' && isQueryField(column) && column !== '_time' ? (
                        <button type="button" className="link value" onClick={() => onFilter(column, text)} aria-label={`Filter ${visibleText(column)}: ${visibleText(text).slice(0, 200)}`}>
                          <Visible max={300}>{text}</Visible>
                        </button>
                      ) : (
                        <Visible max={300}>{text}</Visible>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/** A `| timechart` table as chart series: one per `by` value (first metric), or one per metric. */
function timechartOf(table: TableResult): { buckets: number[]; series: ChartSeries[] } | undefined {
  if (table.columns[0] !== '_time' || table.rows.length === 0) return undefined;
  const times = [...new Set(table.rows.map((r) => Date.parse(String(r[0]))).filter(Number.isFinite))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const metricAt = table.rows[0]!.findIndex((v, i) => i > 0 && typeof v === 'number');
  if (metricAt < 0) return undefined;
  const byColumns = table.columns.slice(1, metricAt);
  const series = new Map<string, (number | null)[]>();
  if (byColumns.length === 0) {
    table.columns.slice(1).forEach((c, k) => {
      const values = times.map(() => 0 as number | null);
      for (const r of table.rows) values[index.get(Date.parse(String(r[0])))!] = typeof r[k + 1] === 'number' ? (r[k + 1] as number) : null;
      series.set(c, values);
    });
  } else {
    for (const r of table.rows) {
      const key = r.slice(1, metricAt).map(valueText).join(' · ');
      let values = series.get(key);
      if (!values) series.set(key, (values = times.map(() => 0)));
      values[index.get(Date.parse(String(r[0])))!] = Number(r[metricAt]) || 0;
    }
  }
  return { buckets: times, series: [...series.entries()].slice(0, 12).map(([label, values]) => ({ label, values })) };
}

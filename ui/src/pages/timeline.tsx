/**
 * The entity timeline: everything stored about one host, user or address over a time range,
 * events and alerts in order, charted, and the related entities to pivot on to.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { queryString } from '../api/client.js';
import type { EntityTimeline } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { ENTITY_FIELDS, EntityValue, fieldTerm, LevelBadge, searchPath } from '../components/pivots.js';
import { filledBuckets, spanFor } from '../components/query-text.js';
import { Time } from '../components/time.js';
import { TimeChart } from '../components/time-chart.js';
import { Visible } from '../components/visible.js';

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

const RANGES: readonly [string, string, number | undefined][] = [
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['30d', 'Last 30 days', 30 * 86_400_000],
  ['all', 'All time', undefined],
];

export function TimelinePage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const entity = params.get('entity') ?? '';
  const rangeName = params.get('range') ?? (params.get('from') ? 'custom' : '7d');
  const colon = entity.indexOf(':');
  const [field, setField] = useState(colon > 0 ? entity.slice(0, colon) : 'host.name');
  const [value, setValue] = useState(colon > 0 ? entity.slice(colon + 1) : '');
  const [range, setRange] = useState(rangeName);
  useEffect(() => {
    if (colon > 0) {
      setField(entity.slice(0, colon));
      setValue(entity.slice(colon + 1));
    }
    setRange(rangeName);
  }, [entity, colon, rangeName]);

  const bounds = useMemo(() => {
    const now = Date.now();
    if (rangeName === 'custom') return { from: Number(params.get('from')) || undefined, to: Number(params.get('to')) || undefined };
    const span = RANGES.find(([k]) => k === rangeName)?.[2];
    return { from: span === undefined ? undefined : now - span, to: undefined as number | undefined };
  }, [rangeName, params]);
  const path = entity === '' ? null : `/api/v1/timeline${queryString({ entity, from: bounds.from, to: bounds.to })}`;
  const { data, error, loading } = useApi<EntityTimeline>(path);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim() === '') return;
    setParams({ entity: `${field}:${value.trim()}`, ...(range === 'custom' ? {} : { range }) });
  };

  const chart = useMemo(() => {
    if (!data || data.items.length === 0) return undefined;
    const times = data.items.map((i) => i.at);
    const fromMs = bounds.from ?? Math.min(...times);
    const toMs = bounds.to ?? Math.max(Date.now(), ...times);
    const [, spanMs] = spanFor(fromMs, toMs);
    const events = new Map<number, number>();
    const alerts = new Map<number, number>();
    for (const item of data.items) {
      const bucket = Math.floor(item.at / spanMs) * spanMs;
      const m = item.kind === 'alert' ? alerts : events;
      m.set(bucket, (m.get(bucket) ?? 0) + 1);
    }
    const e = filledBuckets(events, spanMs, fromMs, toMs);
    const a = filledBuckets(alerts, spanMs, fromMs, toMs);
    return { buckets: e.buckets, series: [{ label: 'events', values: e.counts }, { label: 'alerts', values: a.counts, colorVar: '--level-high' }] };
  }, [data, bounds]);

  const items = useMemo(() => [...(data?.items ?? [])].sort((a, b) => b.at - a.at), [data]);

  return (
    <section>
      <title>{`${entity === '' ? 'Entity timeline' : entity.slice(0, 80)} · Vigil`}</title>
      <h1>Entity timeline</h1>
      <form className="filters card" onSubmit={submit} aria-label="Entity">
        <div className="field">
          <label htmlFor="timeline-field">Entity field</label>
          <select id="timeline-field" value={field} onChange={(e) => setField(e.target.value)}>
            {ENTITY_FIELDS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="timeline-value">Entity value</label>
          <input id="timeline-value" value={value} onChange={(e) => setValue(e.target.value)} placeholder="web01, alice, 203.0.113.7…" required />
        </div>
        <div className="field">
          <label htmlFor="timeline-range">Time range</label>
          <select id="timeline-range" value={range} onChange={(e) => setRange(e.target.value)}>
            {RANGES.map(([k, name]) => (
              <option key={k} value={k}>
                {name}
              </option>
            ))}
            {rangeName === 'custom' ? <option value="custom">As linked</option> : null}
          </select>
        </div>
        <button type="submit" className="primary">
          Show timeline
        </button>
      </form>
      {entity === '' ? <p className="muted">Choose a host, user or address, or pivot here from an alert or a search result.</p> : null}
      <ErrorNotice error={error} label="Timeline" />
      {loading ? <Loading what="the timeline" /> : null}
      {data ? (
        <>
          <p className="lead">
            <span className="mono">
              <Visible>{data.entity.field}</Visible>
            </span>{' '}
            <strong>
              <Visible>{data.entity.value}</Visible>
            </strong>
            : {plural(data.events, 'event')} and {plural(data.items.filter((i) => i.kind === 'alert').length, 'alert')}
            {data.truncated ? ' (the newest events are listed)' : ''}.{' '}
            <Link to={searchPath(fieldTerm(data.entity.field, data.entity.value), { from: bounds.from === undefined ? 'all' : new Date(bounds.from).toISOString() })}>Search these events</Link>
          </p>
          <section className="card" aria-labelledby="timeline-activity">
            <h2 id="timeline-activity">Activity</h2>
            {chart ? <TimeChart label="Events and alerts over time" kind="stacked" buckets={chart.buckets} series={chart.series} unit="items" height={140} /> : <p className="muted">Nothing in this range.</p>}
          </section>
          <div className="search-body">
            <section className="sidebar card" aria-labelledby="timeline-related">
              <h2 id="timeline-related">Related entities</h2>
              {data.related.length === 0 ? <p className="muted">None.</p> : null}
              <ul className="plain">
                {data.related.slice(0, 50).map((r) => (
                  <li key={`${r.field}\u0000${r.value}`}>
                    <span className="mono small">
                      <Visible>{r.field}</Visible>
                    </span>{' '}
                    <EntityValue field={r.field} value={r.value} /> <span className="muted small">{r.events}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="results card" aria-labelledby="timeline-items">
              <h2 id="timeline-items">Events and alerts</h2>
              <ol className="timeline">
                {items.slice(0, 1000).map((item) => (
                  <li key={`${item.kind}-${item.id}`} className={`item-${item.kind}`}>
                    <Time ms={item.at} />{' '}
                    {item.kind === 'alert' ? (
                      <>
                        <span className="tag alert-tag">alert</span> {item.level ? <LevelBadge level={item.level} /> : null}{' '}
                        <Link to={`/alerts/${encodeURIComponent(item.id)}`}>
                          <Visible max={300}>{item.summary}</Visible>
                        </Link>
                      </>
                    ) : (
                      <>
                        <span className="tag">event</span> <Visible max={400}>{item.summary}</Visible>{' '}
                        <Link
                          className="pivot"
                          to={searchPath(fieldTerm(data.entity.field, data.entity.value), { from: new Date(item.at - 60_000).toISOString(), to: new Date(item.at + 60_000).toISOString() })}
                          aria-label={`Search around ${new Date(item.at).toISOString()}`}
                        >
                          around
                        </Link>
                      </>
                    )}
                  </li>
                ))}
              </ol>
              {items.length > 1000 ? <p className="muted small">The first 1,000 of {items.length} are listed.</p> : null}
            </section>
          </div>
        </>
      ) : null}
    </section>
  );
}

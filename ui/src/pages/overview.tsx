/**
 * Overview: is data coming in, and what needs looking at. Events per second per source, the
 * event rate and alerts by level over time, the rules raising most, the entities at risk, and
 * the sources that have gone silent.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { queryString } from '../api/client.js';
import type { Overview } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { EntityValue, LevelBadge } from '../components/pivots.js';
import { agoText, Time } from '../components/time.js';
import { TimeChart } from '../components/time-chart.js';
import { Visible } from '../components/visible.js';
import { TableHead } from '../components/table-head.js';

const RANGES = [
  [1, 'Last hour'],
  [6, 'Last 6 hours'],
  [24, 'Last 24 hours'],
  [168, 'Last 7 days'],
] as const;

const LEVEL_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

export function OverviewPage(): ReactNode {
  const [hours, setHours] = useState(24);
  const { data, error, loading, reload } = useApi<Overview>(`/api/v1/overview${queryString({ hours })}`);

  const rate = useMemo(
    () => data?.eventRate.series.map((s) => ({ label: s.source, values: s.counts })) ?? [],
    [data],
  );
  const levels = useMemo(
    () =>
      [...(data?.alertsByLevel.series ?? [])]
        .sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level))
        .map((s) => ({ label: s.level, values: s.counts, colorVar: `--level-${LEVEL_ORDER.includes(s.level) ? s.level : 'unknown'}` })),
    [data],
  );

  return (
    <section>
      <title>Overview · Vigil</title>
      <div className="page-head">
        <h1>Overview</h1>
        <div className="row">
          <label htmlFor="overview-range">Time range</label>
          <select id="overview-range" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {RANGES.map(([h, name]) => (
              <option key={h} value={h}>
                {name}
              </option>
            ))}
          </select>
          <button type="button" onClick={reload}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorNotice error={error} label="Overview" />
      {loading && !data ? <Loading what="the overview" /> : null}
      {data ? (
        <>
          <div className="stats">
            <Link className="stat" to="/alerts">
              <span className="stat-value">{data.openAlerts.toLocaleString('en')}</span>
              <span className="stat-label">open alerts</span>
            </Link>
            <div className="stat">
              <span className="stat-value">{data.eventsPerSecond.reduce((n, s) => n + s.rate, 0).toFixed(2)}</span>
              <span className="stat-label">events per second (last 5 min)</span>
            </div>
            <Link className="stat" to="/sources">
              <span className={`stat-value ${data.silentSources.length > 0 ? 'bad' : ''}`}>{data.silentSources.length}</span>
              <span className="stat-label">silent sources</span>
            </Link>
          </div>

          <div className="grid-2">
            <section className="card" aria-labelledby="ov-eps">
              <h2 id="ov-eps">Events per second</h2>
              {data.eventsPerSecond.length === 0 ? (
                <p className="muted">No events in the last 5 minutes.</p>
              ) : (
                <table>
                  <caption className="sr-only">Events per second per source, last 5 minutes</caption>
                  <TableHead columns={['Source', { label: 'Events/s', numeric: true }]} />
                  <tbody>
                    {data.eventsPerSecond.map((s) => (
                      <tr key={s.source}>
                        <td>
                          <Visible>{s.source}</Visible>
                        </td>
                        <td className="num">{s.rate.toFixed(2)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="card" aria-labelledby="ov-silent">
              <h2 id="ov-silent">Silent sources</h2>
              {data.silentSources.length === 0 ? (
                <p className="muted">Every source has sent events when expected.</p>
              ) : (
                <ul className="plain">
                  {data.silentSources.map((s) => (
                    <li key={s.source}>
                      <strong>
                        <Visible>{s.source}</Visible>
                      </strong>{' '}
                      last event {agoText(s.lastEvent)} (<Time ms={s.lastEvent} />
                      ), expected every {s.expectedEverySeconds} s
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>

          <section className="card" aria-labelledby="ov-rate">
            <h2 id="ov-rate">Event rate by source</h2>
            <TimeChart label="Events per bucket by source" kind="lines" buckets={data.eventRate.buckets} series={rate} />
          </section>
          <section className="card" aria-labelledby="ov-levels">
            <h2 id="ov-levels">Alerts by level</h2>
            <TimeChart label="Alerts per bucket by level" kind="stacked" unit="alerts" buckets={data.alertsByLevel.buckets} series={levels} />
          </section>

          <div className="grid-2">
            <section className="card" aria-labelledby="ov-rules">
              <h2 id="ov-rules">Top rules</h2>
              {data.topRules.length === 0 ? (
                <p className="muted">No alerts in this range.</p>
              ) : (
                <table>
                  <caption className="sr-only">Rules raising the most alerts</caption>
                  <TableHead columns={['Rule', 'Author', 'Level', { label: 'Alerts', numeric: true }]} />
                  <tbody>
                    {data.topRules.map((r) => (
                      <tr key={r.ruleId}>
                        <td>
                          <Link to={`/alerts${queryString({ rule: r.ruleId, state: 'all' })}`}>
                            <Visible>{r.ruleTitle}</Visible>
                          </Link>
                          <div className="muted small">
                            <Visible>{r.ruleId}</Visible>
                          </div>
                        </td>
                        <td>
                          <Visible>{r.ruleAuthor}</Visible>
                        </td>
                        <td>
                          <LevelBadge level={r.level} />
                        </td>
                        <td className="num">{r.alerts}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="card" aria-labelledby="ov-risk">
              <h2 id="ov-risk">Entities at risk</h2>
              {data.topEntities.length === 0 ? (
                <p className="muted">No entity has collected risk points.</p>
              ) : (
                <table>
                  <caption className="sr-only">Entities with the highest risk scores</caption>
                  <TableHead columns={['Entity', { label: 'Risk', numeric: true }, { label: 'Alerts', numeric: true }]} />
                  <tbody>
                    {data.topEntities.map((e) => (
                      <tr key={`${e.field}\u0000${e.value}`}>
                        <td>
                          <span className="muted">
                            <Visible>{e.field}</Visible>{' '}
                          </span>
                          <EntityValue field={e.field} value={e.value} />
                        </td>
                        <td className="num">{e.score}</td>
                        <td className="num">{e.alerts}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>
        </>
      ) : null}
    </section>
  );
}

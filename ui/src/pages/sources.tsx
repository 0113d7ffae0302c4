/** Sources: each input's health, its last event, rate, parse failures and drops, and its hosts. */
import { Fragment, useEffect, useState, type ReactNode } from 'react';
import type { SourceHealth } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { EntityValue } from '../components/pivots.js';
import { agoText, Time } from '../components/time.js';
import { Visible } from '../components/visible.js';
import { visibleText } from '../components/visible-text.js';
import { TableHead } from '../components/table-head.js';

export function SourcesPage(): ReactNode {
  const { data, error, loading, reload } = useApi<{ sources: readonly SourceHealth[] }>('/api/v1/sources');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  // The figures move while events arrive: read them again every 15 s.
  useEffect(() => {
    const timer = window.setInterval(reload, 15_000);
    return () => window.clearInterval(timer);
  }, [reload]);
  const toggle = (input: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(input)) n.delete(input);
      else n.add(input);
      return n;
    });
  return (
    <section>
      <title>Sources · Vigil</title>
      <div className="page-head">
        <h1>Sources</h1>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={error} label="Sources" />
      {loading && !data ? <Loading what="sources" /> : null}
      {data ? (
        <table>
          <caption className="sr-only">Inputs and their health</caption>
          <TableHead columns={['Input', 'Status', 'Last event', { label: 'Events/s', numeric: true }, { label: 'Received', numeric: true }, { label: 'Stored', numeric: true }, { label: 'Parse failures', numeric: true }, 'Dropped', 'Hosts']} />
          <tbody>
            {data.sources.length === 0 ? (
              <tr>
                <td colSpan={9} className="muted">
                  No inputs are configured.
                </td>
              </tr>
            ) : null}
            {data.sources.map((s) => {
              const key = `${s.input}\u0000${s.kind}`;
              const dropped = Object.entries(s.dropped ?? {}).filter(([, n]) => n > 0);
              return (
                <Fragment key={key}>
                  <tr>
                    <td>
                      <strong>
                        <Visible>{s.input}</Visible>
                      </strong>
                      <div className="muted small">
                        <Visible>{s.kind}</Visible>
                        {s.listen ? (
                          <>
                            {' on '}
                            <Visible>{s.listen}</Visible>
                          </>
                        ) : null}
                      </div>
                    </td>
                    <td>
                      <span className={`health health-${['ok', 'silent', 'failing', 'idle'].includes(s.status) ? s.status : 'unknown'}`}>{s.status}</span>
                      {s.expectedEverySeconds ? <div className="muted small">expected every {s.expectedEverySeconds} s</div> : null}
                    </td>
                    <td title={agoText(s.lastEvent)}>
                      <Time ms={s.lastEvent} />
                      <div className="muted small">{agoText(s.lastEvent)}</div>
                    </td>
                    <td className="num">{s.ratePerSecond.toFixed(2)}</td>
                    <td className="num">
                      {s.received.toLocaleString('en')}
                      {s.events24h !== undefined ? <div className="muted small">{s.events24h.toLocaleString('en')} in 24 h</div> : null}
                    </td>
                    <td className="num">{s.stored.toLocaleString('en')}</td>
                    <td className={`num ${s.parseFailed > 0 ? 'bad' : ''}`}>{s.parseFailed.toLocaleString('en')}</td>
                    <td className="small">
                      {dropped.length === 0
                        ? '—'
                        : dropped.map(([reason, n]) => (
                            <div key={reason}>
                              <Visible>{reason}</Visible>: {n.toLocaleString('en')}
                            </div>
                          ))}
                    </td>
                    <td>
                      {s.hosts.length === 0 ? (
                        <span className="muted">—</span>
                      ) : (
                        <>
                          <ul className="plain small">
                            {s.hosts.slice(0, 3).map((h) => (
                              <li key={h.host}>
                                <Visible max={80}>{h.host}</Visible>
                              </li>
                            ))}
                          </ul>
                          <button type="button" className="link small" aria-expanded={open.has(key)} onClick={() => toggle(key)} aria-label={`${s.hosts.length} hosts sending to ${visibleText(s.input)} (${s.kind})`}>
                            {open.has(key) ? 'hide hosts' : s.hosts.length === 1 ? 'details' : `all ${s.hosts.length} hosts`}
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                  {open.has(key) ? (
                    <tr className="detail">
                      <td colSpan={9}>
                        <table>
                          <caption>
                            Hosts sending to <Visible>{s.input}</Visible>
                          </caption>
                          <TableHead columns={['Host', 'Last event', { label: 'Events (24 h)', numeric: true }]} />
                          <tbody>
                            {s.hosts.slice(0, 500).map((h) => (
                              <tr key={h.host}>
                                <td>
                                  <EntityValue field="host.name" value={h.host} />
                                </td>
                                <td>
                                  <Time ms={h.lastEvent} /> <span className="muted small">{agoText(h.lastEvent)}</span>
                                </td>
                                <td className="num">{h.events24h.toLocaleString('en')}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/**
 * One case: its status and owner, notes, the alerts it groups, the timeline and observables
 * derived from them (each a pivot), its history, and exports as Markdown or JSON.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client.js';
import { CASE_STATUSES, type Case, type CaseStatus, type CaseView } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { useApi } from '../api/use-api.js';
import { VERDICT_NAMES } from '../components/alert-parts.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { EntityValue, LevelBadge, StateBadge } from '../components/pivots.js';
import { Time } from '../components/time.js';
import { Visible } from '../components/visible.js';
import { visibleText } from '../components/visible-text.js';
import { can, useUser } from '../session.js';
import { TableHead } from '../components/table-head.js';
import { HistoryList } from '../components/history-list.js';

export function CaseDetailPage(): ReactNode {
  const user = useUser();
  const { id = '' } = useParams();
  const base = `/api/v1/cases/${encodeURIComponent(id)}`;
  const { data, error, loading, reload } = useApi<CaseView>(base);
  const [status, setStatus] = useState<CaseStatus>('open');
  const [owner, setOwner] = useState('');
  const [note, setNote] = useState('');
  const [alertIds, setAlertIds] = useState('');
  const { busy, error: actionError, run } = useAction();
  const [done, setDone] = useState('');
  // The controls follow the case as stored when it changes, not on every reload (a note added
  // must not undo a status being chosen).
  const storedStatus = data?.case.status;
  const storedOwner = data?.case.owner;
  useEffect(() => {
    if (storedStatus) setStatus(storedStatus);
  }, [storedStatus]);
  useEffect(() => {
    if (storedOwner !== undefined) setOwner(storedOwner ?? '');
  }, [storedOwner]);

  if (!data) {
    return (
      <section>
        <title>Case · Vigil</title>
        <h1>Case</h1>
        <ErrorNotice error={error} label="Case" />
        {loading ? <Loading what="the case" /> : null}
      </section>
    );
  }
  const c = data.case;
  const act = (body: Record<string, unknown>, what: string) =>
    run(async () => {
      await api.post<Case>(`${base}/actions`, body);
      setDone(what);
      reload();
    });
  const addNote = async (e: FormEvent) => {
    e.preventDefault();
    if (note.trim() !== '' && (await act({ action: 'note', text: note }, 'Note added.'))) setNote('');
  };
  const analyst = can(user, 'analyst');

  return (
    <article>
      <title>{`${visibleText(c.title).slice(0, 80)} · Case · Vigil`}</title>
      <div className="page-head">
        <h1>
          <Visible max={300}>{c.title}</Visible>
        </h1>
        <div className="row">
          <span className={`state case-${c.status}`}>{c.status}</span>
          <a href={`${base}/export?format=md`} download>
            Export Markdown
          </a>
          <a href={`${base}/export?format=json`} download>
            Export JSON
          </a>
        </div>
      </div>
      <dl className="meta wide">
        <dt>Case id</dt>
        <dd className="mono small">
          <Visible>{c.id}</Visible>
        </dd>
        <dt>Opened</dt>
        <dd>
          <Time ms={c.created} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time ms={c.updated} />
        </dd>
        <dt>Owner</dt>
        <dd>{c.owner ? <Visible>{c.owner}</Visible> : <span className="muted">nobody</span>}</dd>
      </dl>

      {analyst ? (
        <section className="card" aria-labelledby="case-manage">
          <h2 id="case-manage">Manage</h2>
          <div className="row wrap">
            <span className="group">
              <label htmlFor="case-status">Status</label>
              <select id="case-status" value={status} onChange={(e) => setStatus(e.target.value as CaseStatus)}>
                {CASE_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
              <button type="button" disabled={busy || status === c.status} onClick={() => void act({ action: 'status', status }, `Status set to ${status}.`)}>
                Set status
              </button>
            </span>
            <span className="group">
              <label htmlFor="case-owner">Owner</label>
              <input id="case-owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
              <button type="button" disabled={busy} onClick={() => void act({ action: 'assign', owner: owner.trim() }, 'Owner set.')}>
                Assign
              </button>
            </span>
            <span className="group">
              <label htmlFor="case-add-alerts">Add alert ids</label>
              <input id="case-add-alerts" className="mono" value={alertIds} onChange={(e) => setAlertIds(e.target.value)} />
              <button
                type="button"
                disabled={busy || alertIds.trim() === ''}
                onClick={() => void act({ action: 'add-alerts', alertIds: alertIds.split(/[\s,]+/).filter((s) => s !== '') }, 'Alerts added.').then((ok) => ok && setAlertIds(''))}
              >
                Add alerts
              </button>
            </span>
          </div>
          <p role="status" aria-live="polite" className="small">
            {done}
          </p>
          <ErrorNotice error={actionError} label="Case" />
        </section>
      ) : null}

      <section className="card" aria-labelledby="case-alerts-title">
        <h2 id="case-alerts-title">Alerts</h2>
        {data.missing.length > 0 ? <p className="notice">{data.missing.length} alert(s) of this case are no longer stored.</p> : null}
        <table>
          <caption className="sr-only">Alerts of this case</caption>
          <TableHead columns={['Level', 'Alert', 'State', 'Last seen']} />
          <tbody>
            {data.alerts.map((a) => (
              <tr key={a.id}>
                <td>
                  <LevelBadge level={a.level} />
                </td>
                <td>
                  <Link to={`/alerts/${encodeURIComponent(a.id)}`}>
                    <Visible max={200}>{a.ruleTitle}</Visible>
                  </Link>
                  <div className="muted small">
                    <Visible>{a.ruleId}</Visible> by <Visible>{a.ruleAuthor}</Visible>
                  </div>
                </td>
                <td>
                  <StateBadge state={a.state} />
                  {a.verdict ? <div className="small">{VERDICT_NAMES[a.verdict] ?? a.verdict}</div> : null}
                </td>
                <td>
                  <Time ms={a.lastSeen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="case-notes">
          <h2 id="case-notes">Notes</h2>
          {c.notes.length === 0 ? <p className="muted">No notes yet.</p> : null}
          <ol className="history">
            {c.notes.map((n, i) => (
              <li key={i}>
                <Time ms={n.at} /> <Visible>{n.by}</Visible>
                <blockquote>
                  <Visible multiline max={10_000}>
                    {n.text}
                  </Visible>
                </blockquote>
              </li>
            ))}
          </ol>
          {analyst ? (
            <form className="stack" onSubmit={addNote}>
              <label htmlFor="case-note">Note</label>
              <textarea id="case-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
              <div className="row">
                <button type="submit" disabled={busy || note.trim() === ''}>
                  Add note
                </button>
              </div>
            </form>
          ) : null}
        </section>
        <section className="card" aria-labelledby="case-observables">
          <h2 id="case-observables">Observables</h2>
          {data.observables.length === 0 ? <p className="muted">None.</p> : null}
          <table>
            <caption className="sr-only">Entities named by the alerts of this case</caption>
            <TableHead columns={['Field', 'Value', { label: 'Alerts', numeric: true }]} />
            <tbody>
              {data.observables.map((o) => (
                <tr key={`${o.field}\u0000${o.value}`}>
                  <td className="mono small">
                    <Visible>{o.field}</Visible>
                  </td>
                  <td>
                    <EntityValue field={o.field} value={o.value} />
                  </td>
                  <td className="num">{o.alerts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>

      <section className="card" aria-labelledby="case-timeline">
        <h2 id="case-timeline">Timeline</h2>
        <ol className="timeline">
          {data.timeline.map((t, i) => (
            <li key={i}>
              <Time ms={t.at} /> <span className="tag">{t.kind}</span>{' '}
              {t.alertId ? (
                <Link to={`/alerts/${encodeURIComponent(t.alertId)}`}>
                  <Visible max={300}>{t.text}</Visible>
                </Link>
              ) : (
                <Visible max={300}>{t.text}</Visible>
              )}
              {t.by ? (
                <span className="muted">
                  {' '}
                  by <Visible>{t.by}</Visible>
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      </section>

      <HistoryList
        id="case-history"
        entries={c.history}
        detail={(h) =>
          h.text ? (
            <>
              {' '}
              <Visible max={500}>{h.text}</Visible>
            </>
          ) : null
        }
      />
    </article>
  );
}

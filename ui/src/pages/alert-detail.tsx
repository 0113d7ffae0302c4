/**
 * One alert, with what an analyst needs to decide: the events that matched, the rule (its
 * title, id and author, as the Sigma rules' licence asks wherever a match is shown, and its
 * references), the enrichment added when it was raised, its ATT&CK tags, the risk collected by
 * its entities, the response actions run for it, and triage: state, verdict, assignee,
 * comments, a case.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, queryString } from '../api/client.js';
import { ALERT_VERDICTS, type Alert, type AlertEventsResult, type AlertVerdict, type Case, type Overview, type ResponseRun, type TriageRequest } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { useApi } from '../api/use-api.js';
import { entitiesOf, stringList, VERDICT_NAMES } from '../components/alert-parts.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { DataView, EventView } from '../components/event-view.js';
import { EntityValue, fieldTerm, LevelBadge, StateBadge } from '../components/pivots.js';
import { Time } from '../components/time.js';
import { ExternalReference, Visible } from '../components/visible.js';
import { valueText } from '../components/visible-text.js';
import { can, useUser } from '../session.js';
import { TableHead } from '../components/table-head.js';
import { HistoryList } from '../components/history-list.js';

export function AlertDetailPage(): ReactNode {
  const { id = '' } = useParams();
  const { data, error, loading } = useApi<Alert>(`/api/v1/alerts/${encodeURIComponent(id)}`);
  const [alert, setAlert] = useState<Alert | undefined>();
  useEffect(() => setAlert(data), [data]);

  if (!alert) {
    return (
      <section>
        <title>Alert · Vigil</title>
        <h1>Alert</h1>
        <ErrorNotice error={error} label="Alert" />
        {loading ? <Loading what="the alert" /> : null}
      </section>
    );
  }
  return <AlertView alert={alert} onChange={setAlert} />;
}

function AlertView({ alert, onChange }: { readonly alert: Alert; readonly onChange: (a: Alert) => void }): ReactNode {
  const user = useUser();
  const d = alert.details;
  const entities = entitiesOf(alert);
  const tags = stringList(d['tags']);
  return (
    <article className="alert-detail">
      <title>{`${alert.ruleTitle.slice(0, 80)} · Alert · Vigil`}</title>
      <div className="page-head">
        <h1>
          <Visible max={300}>{alert.ruleTitle}</Visible>
        </h1>
        <div className="row">
          <LevelBadge level={alert.level} />
          <StateBadge state={alert.state} />
          {alert.verdict ? <span className="tag">{VERDICT_NAMES[alert.verdict] ?? alert.verdict}</span> : null}
        </div>
      </div>
      <dl className="meta wide">
        <dt>Alert id</dt>
        <dd className="mono small">
          <Visible>{alert.id}</Visible>
        </dd>
        <dt>First seen</dt>
        <dd>
          <Time ms={alert.firstSeen} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <Time ms={alert.lastSeen} />
        </dd>
        <dt>Detections</dt>
        <dd>{alert.count}</dd>
        <dt>Assignee</dt>
        <dd>{alert.assignee ? <Visible>{alert.assignee}</Visible> : <span className="muted">nobody</span>}</dd>
      </dl>

      {can(user, 'analyst') ? <TriagePanel alert={alert} onChange={onChange} /> : null}

      <div className="grid-2">
        <section className="card" aria-labelledby="alert-rule">
          <h2 id="alert-rule">Rule</h2>
          <dl className="meta">
            <dt>Title</dt>
            <dd>
              <Visible>{alert.ruleTitle}</Visible>
            </dd>
            <dt>Rule id</dt>
            <dd className="mono small">
              <Link to={`/rules${queryString({ rule: alert.ruleId })}`}>
                <Visible>{alert.ruleId}</Visible>
              </Link>
            </dd>
            <dt>Author</dt>
            <dd>
              <Visible>{alert.ruleAuthor}</Visible>
            </dd>
            <dt>Kind</dt>
            <dd>
              <Visible>{d['kind']}</Visible>
            </dd>
            {d['file'] ? (
              <>
                <dt>File</dt>
                <dd className="mono small">
                  <Visible>{d['file']}</Visible>
                </dd>
              </>
            ) : null}
          </dl>
          {d['description'] ? (
            <p className="description">
              <Visible multiline max={5000}>
                {d['description']}
              </Visible>
            </p>
          ) : null}
          {stringList(d['references']).length > 0 ? (
            <>
              <h3>References</h3>
              <ul className="plain">
                {stringList(d['references']).map((r, i) => (
                  <li key={i}>
                    <ExternalReference reference={r} />
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {stringList(d['falsepositives']).length > 0 ? (
            <>
              <h3>Known false positives</h3>
              <ul className="plain">
                {stringList(d['falsepositives']).map((r, i) => (
                  <li key={i}>
                    <Visible>{r}</Visible>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>

        <section className="card" aria-labelledby="alert-entities">
          <h2 id="alert-entities">Entities</h2>
          {entities.length === 0 ? (
            <p className="muted">This alert names no entity.</p>
          ) : (
            <dl className="meta">
              {entities.map((e) => (
                <div key={`${e.field}\u0000${e.value}`} className="data-row">
                  <dt className="mono">
                    <Visible>{e.field}</Visible>
                  </dt>
                  <dd>
                    <EntityValue field={e.field} value={e.value} />
                  </dd>
                </div>
              ))}
            </dl>
          )}
          <h2 id="alert-attack">ATT&amp;CK</h2>
          <AttackTags tags={tags} />
        </section>
      </div>

      <MatchingEvents alert={alert} />

      <div className="grid-2">
        <section className="card" aria-labelledby="alert-context">
          <h2 id="alert-context">Context</h2>
          {d['context'] && typeof d['context'] === 'object' && Object.keys(d['context']).length > 0 ? (
            <DataView value={d['context']} />
          ) : (
            <p className="muted">No enrichment was added when this alert was raised.</p>
          )}
          {d['type'] !== undefined || d['group'] !== undefined ? (
            <>
              <h3>Correlation</h3>
              <DataView value={{ type: d['type'], group: d['group'], value: d['value'], observed: d['observed'], window: d['window'] }} />
            </>
          ) : null}
        </section>
        <EntityRisk alert={alert} />
      </div>

      <ActionsRun alertId={alert.id} />

      <HistoryList
        id="alert-history"
        entries={alert.history}
        detail={(h) => (
          <>
            {h.verdict ? <> ({VERDICT_NAMES[h.verdict] ?? h.verdict})</> : null}
            {h.text ? (
              <blockquote>
                <Visible multiline>{h.text}</Visible>
              </blockquote>
            ) : null}
          </>
        )}
      />
    </article>
  );
}

function TriagePanel({ alert, onChange }: { readonly alert: Alert; readonly onChange: (a: Alert) => void }): ReactNode {
  const user = useUser();
  const navigate = useNavigate();
  const [verdict, setVerdict] = useState<AlertVerdict>(alert.verdict ?? 'true_positive');
  const [assignee, setAssignee] = useState(alert.assignee ?? '');
  const [comment, setComment] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState('');
  const cases = useApi<{ cases: readonly Case[] }>('/api/v1/cases');
  const [caseId, setCaseId] = useState('');

  const act = (request: TriageRequest, what: string) =>
    run(async () => {
      onChange(await api.post<Alert>(`/api/v1/alerts/${encodeURIComponent(alert.id)}/actions`, request));
      setDone(what);
      if (request.action === 'comment') setComment('');
    });

  const openCase = () =>
    run(async () => {
      const host = entitiesOf(alert).find((e) => e.field === 'host.name' || e.field === 'user.name' || e.field === 'source.ip');
      const title = `${alert.ruleTitle}${host ? ` on ${host.value}` : ''}`.slice(0, 300);
      const c = await api.post<Case>('/api/v1/cases', { title, alertIds: [alert.id] });
      navigate(`/cases/${encodeURIComponent(c.id)}`);
    });

  const addToCase = (e: FormEvent) => {
    e.preventDefault();
    if (caseId === '') return;
    void run(async () => {
      await api.post<Case>(`/api/v1/cases/${encodeURIComponent(caseId)}/actions`, { action: 'add-alerts', alertIds: [alert.id] });
      setDone('Added to the case.');
    });
  };

  const closed = alert.state === 'closed';
  return (
    <section className="card triage" aria-labelledby="alert-triage">
      <h2 id="alert-triage">Triage</h2>
      <div className="row wrap">
        <button type="button" disabled={busy || alert.state !== 'new'} onClick={() => void act({ action: 'ack' }, 'Acknowledged.')}>
          Acknowledge
        </button>
        <button type="button" disabled={busy || closed || alert.state === 'in_progress'} onClick={() => void act({ action: 'start' }, 'Investigation started.')}>
          Start
        </button>
        <span className="group">
          <label htmlFor="triage-verdict">Verdict</label>
          <select id="triage-verdict" value={verdict} onChange={(e) => setVerdict(e.target.value as AlertVerdict)}>
            {ALERT_VERDICTS.map((v) => (
              <option key={v} value={v}>
                {VERDICT_NAMES[v]}
              </option>
            ))}
          </select>
          <button type="button" className="primary" disabled={busy || closed} onClick={() => void act({ action: 'close', verdict }, 'Closed.')}>
            Close
          </button>
        </span>
        <button type="button" disabled={busy || !closed} onClick={() => void act({ action: 'reopen' }, 'Reopened.')}>
          Reopen
        </button>
      </div>
      <div className="row wrap">
        <span className="group">
          <label htmlFor="triage-assignee">Assignee</label>
          <input id="triage-assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} />
          <button type="button" disabled={busy} onClick={() => void act({ action: 'assign', assignee: assignee.trim() === '' ? null : assignee.trim() }, 'Assigned.')}>
            Assign
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setAssignee(user.username);
              void act({ action: 'assign', assignee: user.username }, 'Assigned to you.');
            }}
          >
            Assign to me
          </button>
        </span>
      </div>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (comment.trim() !== '') void act({ action: 'comment', comment }, 'Comment added.');
        }}
      >
        <label htmlFor="triage-comment">Comment</label>
        <textarea id="triage-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
        <div className="row">
          <button type="submit" disabled={busy || comment.trim() === ''}>
            Add comment
          </button>
        </div>
      </form>
      <div className="row wrap">
        <button type="button" disabled={busy} onClick={() => void openCase()}>
          Open a case
        </button>
        <form className="group" onSubmit={addToCase}>
          <label htmlFor="triage-case">Existing case</label>
          <select id="triage-case" value={caseId} onChange={(e) => setCaseId(e.target.value)}>
            <option value="">Choose a case…</option>
            {(cases.data?.cases ?? [])
              .filter((c) => c.status !== 'closed')
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title.slice(0, 100)}
                </option>
              ))}
          </select>
          <button type="submit" disabled={busy || caseId === ''}>
            Add to case
          </button>
        </form>
      </div>
      <p role="status" aria-live="polite" className="small">
        {done}
      </p>
      <ErrorNotice error={error} label="Triage" />
    </section>
  );
}

/** The events whose ids the alert lists, read by id (exact whatever their event time). */
function MatchingEvents({ alert }: { readonly alert: Alert }): ReactNode {
  const path = alert.eventIds.length === 0 ? null : `/api/v1/alerts/${encodeURIComponent(alert.id)}/events`;
  const { data, error, loading } = useApi<AlertEventsResult>(path);
  const events = data?.events ?? [];
  return (
    <section className="card" aria-labelledby="alert-events">
      <h2 id="alert-events">Matching events</h2>
      {alert.eventIds.length === 0 ? <p className="muted">This alert was raised from other alerts, not from events (see Entity risk).</p> : null}
      <ErrorNotice error={error} label="Matching events" />
      {loading ? <Loading what="the matching events" /> : null}
      {data ? (
        <p className="muted small">
          {events.length} of the {alert.eventIds.length} event{alert.eventIds.length === 1 ? '' : 's'} this alert lists
          {events.length < alert.eventIds.length ? ' (the others are past the first 500 or no longer in the stored history)' : ''}.
        </p>
      ) : null}
      {events.slice(0, 50).map((e) => (
        <details key={e.id} className="event" open={events.length === 1}>
          <summary>
            <Time ms={e.time} /> <Visible max={300}>{valueText(e.fields['message'] ?? e.original)}</Visible>
          </summary>
          <EventView event={e} />
        </details>
      ))}
    </section>
  );
}

function AttackTags({ tags }: { readonly tags: readonly string[] }): ReactNode {
  const attack = tags.filter((t) => /^attack\./i.test(t));
  if (attack.length === 0) return <p className="muted">No ATT&amp;CK tags.</p>;
  return (
    <ul className="inline-list">
      {attack.map((t) => {
        const technique = /^attack\.(t\d{4})(?:\.(\d{3}))?$/i.exec(t);
        if (technique) {
          const id = technique[1]!.toUpperCase();
          const sub = technique[2];
          return (
            <li key={t}>
              <a className="tag technique" href={`https://attack.mitre.org/techniques/${id}/${sub ? `${sub}/` : ''}`} target="_blank" rel="noopener noreferrer">
                {id}
                {sub ? `.${sub}` : ''}
              </a>
            </li>
          );
        }
        return (
          <li key={t} className="tag tactic">
            <Visible>{t.slice('attack.'.length).replace(/_/g, ' ')}</Visible>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Risk: for a risk alert, the detections that added up; for any other, the points it added to
 * its entities, their scores now (the intake's risk ledger, as the overview lists it), and the
 * risk alerts raised about them.
 */
function EntityRisk({ alert }: { readonly alert: Alert }): ReactNode {
  const d = alert.details;
  const isRisk = d['kind'] === 'risk';
  const risky = useApi<{ alerts: readonly Alert[] }>(isRisk ? null : `/api/v1/alerts${queryString({ q: 'vigil-risk-', limit: 500 })}`);
  const overview = useApi<Overview>(isRisk ? null : '/api/v1/overview?hours=1');
  const mine = new Set(entitiesOf(alert).map((e) => `${e.field}\u0000${e.value}`));
  const related = (risky.data?.alerts ?? []).filter((a) => a.ruleId.startsWith('vigil-risk-') && entitiesOf(a).some((e) => mine.has(`${e.field}\u0000${e.value}`)));
  const scores = (overview.data?.topEntities ?? []).filter((e) => mine.has(`${e.field}\u0000${e.value}`));
  const added = !isRisk && typeof d['risk'] === 'object' && d['risk'] !== null ? Object.entries(d['risk'] as Record<string, unknown>) : [];
  const contributions = Array.isArray(d['contributions']) ? (d['contributions'] as Record<string, unknown>[]) : [];
  return (
    <section className="card" aria-labelledby="alert-risk">
      <h2 id="alert-risk">Entity risk</h2>
      {isRisk ? (
        <>
          <p>
            <strong>{valueText(d['risk'])}</strong> risk points (threshold {valueText(d['threshold'])}).
          </p>
          <table>
            <caption className="sr-only">Detections that added risk</caption>
            <TableHead columns={['Rule', 'Level', { label: 'Points', numeric: true }]} />
            <tbody>
              {contributions.slice(0, 100).map((c, i) => (
                <tr key={i}>
                  <td>
                    {typeof c['alertId'] === 'string' ? (
                      <Link to={`/alerts/${encodeURIComponent(c['alertId'])}`}>
                        <Visible>{c['ruleTitle']}</Visible>
                      </Link>
                    ) : (
                      <Visible>{c['ruleTitle']}</Visible>
                    )}
                    <div className="muted small">
                      <Visible>{c['ruleId']}</Visible> by <Visible>{c['ruleAuthor']}</Visible>
                    </div>
                  </td>
                  <td>
                    <LevelBadge level={valueText(c['level'])} />
                  </td>
                  <td className="num">{valueText(c['points'])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <>
          {added.length > 0 ? (
            <>
              <h3>Points this alert added</h3>
              <ul className="plain">
                {added.map(([entity, points]) => (
                  <li key={entity}>
                    <Visible>{entity.replace('=', ' ')}</Visible>: {valueText(points)} points
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {scores.length > 0 ? (
            <>
              <h3>Risk now</h3>
              <ul className="plain">
                {scores.map((e) => (
                  <li key={`${e.field}\u0000${e.value}`}>
                    <span className="mono small">
                      <Visible>{e.field}</Visible>
                    </span>{' '}
                    <EntityValue field={e.field} value={e.value} />: <strong>{e.score}</strong> points from {e.alerts} alerts
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <ErrorNotice error={risky.error} label="Entity risk" />
          {related.length === 0 ? (
            <p className="muted">No entity of this alert has crossed the risk threshold.</p>
          ) : (
            <>
              <h3>Risk alerts about these entities</h3>
              <ul className="plain">
                {related.map((a) => (
                  <li key={a.id}>
                    <Link to={`/alerts/${encodeURIComponent(a.id)}`}>
                      <Visible>{a.ruleTitle}</Visible>
                    </Link>{' '}
                    — {valueText(a.details['risk'])} points, <Time ms={a.lastSeen} />
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function ActionsRun({ alertId }: { readonly alertId: string }): ReactNode {
  const { data, error } = useApi<{ runs: readonly ResponseRun[]; configured: boolean }>('/api/v1/response/runs');
  const runs = (data?.runs ?? []).filter((r) => r.alertId === alertId);
  return (
    <section className="card" aria-labelledby="alert-actions">
      <h2 id="alert-actions">Actions run</h2>
      {data?.configured === false ? <p className="muted">Automated response is not configured on this server (no playbooks).</p> : null}
      <ErrorNotice error={error} label="Response runs" />
      {data && runs.length === 0 ? <p className="muted">No playbook ran for this alert.</p> : null}
      {runs.map((r) => (
        <div key={r.id} className="run">
          <p>
            <strong>
              <Visible>{r.playbook}</Visible>
            </strong>{' '}
            <span className={`tag run-${/^[a-z-]+$/.test(r.status) ? r.status : 'unknown'}`}>{r.status}</span> <Time ms={r.created} />
            {r.by ? (
              <>
                {' '}
                by <Visible>{r.by}</Visible>
              </>
            ) : null}
            {r.reason ? (
              <>
                {' '}
                — <Visible>{r.reason}</Visible>
              </>
            ) : null}
          </p>
          <ol className="steps">
            {r.steps.map((s, i) => (
              <li key={i}>
                <Visible>{s.step}</Visible> ({s.phase}) {s.ok === undefined ? '' : s.ok ? 'ok' : 'failed'}{' '}
                {s.command ? <code><Visible>{s.command.join(' ')}</Visible></code> : null}
                {s.http ? (
                  <code>
                    <Visible>{`${s.http.method} ${s.http.url}`}</Visible>
                  </code>
                ) : null}
                {s.error ? (
                  <div className="bad small">
                    <Visible>{s.error}</Visible>
                  </div>
                ) : null}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

/**
 * Playbooks (admin: what is configured) and the automated response runs, with approval or
 * rejection of the runs waiting for it (admin; approving runs a destructive step).
 */
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client.js';
import type { ResponseRun } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { DataView } from '../../components/event-view.js';
import { Time } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { valueText, visibleText } from '../../components/visible-text.js';
import { can, useUser } from '../../session.js';
import { TableHead } from '../../components/table-head.js';

type Playbook = Readonly<Record<string, unknown>>;

export function PlaybooksSection(): ReactNode {
  const user = useUser();
  const admin = can(user, 'admin');
  return (
    <>
      {admin ? <PlaybookList /> : null}
      <ResponseRuns admin={admin} />
    </>
  );
}

function PlaybookList(): ReactNode {
  const { data, error, loading } = useApi<{ playbooks?: readonly Playbook[] }>('/api/v1/settings/playbooks');
  const playbooks = Array.isArray(data?.playbooks) ? data.playbooks : [];
  return (
    <section aria-labelledby="playbooks-title">
      <h2 id="playbooks-title">Playbooks</h2>
      <p className="muted small">Playbooks are the files that response.playbooks in vigil.yaml lists (docs/response.md).</p>
      <ErrorNotice error={error} label="Playbooks" />
      {loading ? <Loading what="playbooks" /> : null}
      {data && playbooks.length === 0 ? <p className="muted">No playbooks are configured.</p> : null}
      {playbooks.map((p, i) => (
        <details key={i} className="card">
          <summary>
            <strong>
              <Visible>{p['name']}</Visible>
            </strong>{' '}
            <span className="muted small">
              {p['enabled'] === false ? 'disabled · ' : ''}
              {p['approvalRequired'] === true || p['approval'] === 'required' ? 'needs approval' : 'runs without approval'}
              {p['dryRun'] === true ? ' · dry run' : ''}
            </span>
          </summary>
          {p['description'] ? (
            <p>
              <Visible>{p['description']}</Visible>
            </p>
          ) : null}
          <DataView value={p} />
        </details>
      ))}
    </section>
  );
}

function ResponseRuns({ admin }: { readonly admin: boolean }): ReactNode {
  const { data, error, loading, reload } = useApi<{ runs: readonly ResponseRun[]; configured: boolean }>('/api/v1/response/runs');
  const [reasons, setReasons] = useState<Readonly<Record<string, string>>>({});
  const { error: actionError, run } = useAction();
  const runs = [...(data?.runs ?? [])].sort((a, b) => Number(b.status === 'awaiting-approval') - Number(a.status === 'awaiting-approval') || b.created - a.created);

  const decide = (r: ResponseRun, decision: 'approve' | 'reject') =>
    run(async () => {
      await api.post(`/api/v1/response/runs/${encodeURIComponent(r.id)}/${decision}`, decision === 'reject' ? { reason: reasons[r.id] ?? '' } : {});
      reload();
    });

  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Response runs</h2>
      <ErrorNotice error={actionError} label="Approval" />
      {data?.configured === false ? <p className="muted">Automated response is not configured on this server (response.playbooks in vigil.yaml).</p> : null}
      <ErrorNotice error={error} label="Response runs" />
      {loading && !data ? <Loading what="response runs" /> : null}
      {data && runs.length === 0 ? <p className="muted">No playbook has run.</p> : null}
      {runs.length > 0 ? (
        <table>
          <caption className="sr-only">Response runs, those waiting for approval first</caption>
          <TableHead columns={['Playbook', 'Alert', 'Status', 'Created', 'Steps', { label: 'Decision', hidden: true }]} />
          <tbody>
            {runs.slice(0, 500).map((r) => (
              <tr key={r.id}>
                <td>
                  <Visible>{r.playbook}</Visible>
                </td>
                <td>
                  <Link to={`/alerts/${encodeURIComponent(r.alertId)}`}>
                    <Visible max={150}>{r.ruleTitle}</Visible>
                  </Link>
                </td>
                <td>
                  <span className={`tag run-${/^[a-z-]+$/.test(r.status) ? r.status : 'unknown'}`}>{r.status}</span>
                  {r.by ? (
                    <div className="small">
                      by <Visible>{r.by}</Visible>
                    </div>
                  ) : null}
                  {r.reason ? (
                    <div className="small">
                      <Visible>{r.reason}</Visible>
                    </div>
                  ) : null}
                </td>
                <td>
                  <Time ms={r.created} />
                </td>
                <td className="small">
                  {r.steps.map((s, i) => (
                    <div key={i}>
                      <Visible>{s.step}</Visible> {s.ok === undefined ? '' : s.ok ? 'ok' : 'failed'}
                      {s.command ? (
                        <>
                          {' '}
                          <code>
                            <Visible max={200}>{s.command.join(' ')}</Visible>
                          </code>
                        </>
                      ) : null}
                    </div>
                  ))}
                </td>
                <td>
                  {admin && r.status === 'awaiting-approval' ? (
                    <div className="stack">
                      <button type="button" className="primary" onClick={() => void decide(r, 'approve')} aria-label={`Approve run ${r.id} of ${visibleText(r.playbook)}`}>
                        Approve
                      </button>
                      <label htmlFor={`reject-${r.id}`} className="small">
                        Reason for rejecting
                      </label>
                      <input id={`reject-${r.id}`} value={reasons[r.id] ?? ''} onChange={(e) => setReasons((m) => ({ ...m, [r.id]: e.target.value }))} />
                      <button type="button" className="danger" onClick={() => void decide(r, 'reject')} aria-label={`Reject run ${r.id} of ${visibleText(r.playbook)}`}>
                        Reject
                      </button>
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data ? <p className="muted small">{valueText(runs.filter((r) => r.status === 'awaiting-approval').length)} waiting for approval.</p> : null}
    </section>
  );
}

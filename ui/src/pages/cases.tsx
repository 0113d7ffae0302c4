/**
 * Cases: incidents grouped by analysts. The list, newest activity first, and a form to open a
 * case (prefilled with the alerts chosen in the queue).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.js';
import { CASE_STATUSES, type Case } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { Time } from '../components/time.js';
import { Visible } from '../components/visible.js';
import { can, useUser } from '../session.js';
import { TableHead } from '../components/table-head.js';

export function CasesPage(): ReactNode {
  const user = useUser();
  const [params] = useSearchParams();
  const { data, error, loading } = useApi<{ cases: readonly Case[] }>('/api/v1/cases');
  const [status, setStatus] = useState('');
  const cases = (data?.cases ?? []).filter((c) => status === '' || (status === 'active' ? c.status !== 'closed' : c.status === status));
  return (
    <section>
      <title>Cases · Vigil</title>
      <h1>Cases</h1>
      {can(user, 'analyst') ? <NewCase alertIds={params.get('alerts') ?? ''} /> : null}
      <div className="row">
        <label htmlFor="cases-status">Status</label>
        <select id="cases-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">All</option>
          <option value="active">Not closed</option>
          {CASE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice error={error} label="Cases" />
      {loading ? <Loading what="cases" /> : null}
      {data ? (
        <table>
          <caption className="sr-only">Cases, most recently updated first</caption>
          <TableHead columns={['Case', 'Status', 'Owner', { label: 'Alerts', numeric: true }, 'Updated']} />
          <tbody>
            {cases.length === 0 ? (
              <tr>
                <td colSpan={5} className="muted">
                  No cases.
                </td>
              </tr>
            ) : null}
            {cases.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/cases/${encodeURIComponent(c.id)}`}>
                    <Visible max={300}>{c.title}</Visible>
                  </Link>
                </td>
                <td>
                  <span className={`state case-${c.status}`}>{c.status}</span>
                </td>
                <td>{c.owner ? <Visible>{c.owner}</Visible> : <span className="muted">—</span>}</td>
                <td className="num">{c.alertIds.length}</td>
                <td>
                  <Time ms={c.updated} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function NewCase({ alertIds }: { readonly alertIds: string }): ReactNode {
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [ids, setIds] = useState(alertIds);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const list = ids.split(/[\s,]+/).filter((s) => s !== '');
      const c = await api.post<Case>('/api/v1/cases', { title, alertIds: list });
      navigate(`/cases/${encodeURIComponent(c.id)}`);
    });
  };
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="new-case">
      <h2 id="new-case">New case</h2>
      <label htmlFor="case-title">Case title</label>
      <input id="case-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={300} autoFocus={alertIds !== ''} />
      <label htmlFor="case-alerts">Alert ids</label>
      <input id="case-alerts" className="mono" value={ids} onChange={(e) => setIds(e.target.value)} placeholder="optional; separated by commas or spaces" />
      <ErrorNotice error={error} label="New case" />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          Create case
        </button>
      </div>
    </form>
  );
}

/** The audit log (admin): who did what, when, from where, and whether it worked; exportable. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, queryString, type ApiError } from '../../api/client.js';
import { AUDIT_ACTIONS, type AuditEntry } from '../../api/types.js';
import { asApiError } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { Time } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { TableHead } from '../../components/table-head.js';

const PAGE = 100;

export function AuditSection(): ReactNode {
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [filters, setFilters] = useState({ action: '', actor: '' });
  const [entries, setEntries] = useState<readonly AuditEntry[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [loading, setLoading] = useState(false);

  const load = async (before: number | undefined, append: boolean) => {
    setLoading(true);
    setError(undefined);
    try {
      const reply = await api.get<{ entries: readonly AuditEntry[] }>(`/api/v1/audit${queryString({ limit: PAGE, before, action: filters.action, actor: filters.actor })}`);
      setEntries((e) => (append ? [...e, ...reply.entries] : reply.entries));
      setMore(reply.entries.length === PAGE);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(undefined, false);
  }, [filters]); // load reads the filters it is given through state

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ action, actor: actor.trim() });
  };

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h2 id="audit-title">Audit log</h2>
        <span className="row">
          <a href="/api/v1/audit/export?format=csv" download>
            Export audit CSV
          </a>
          <a href="/api/v1/audit/export?format=ndjson" download>
            Export audit NDJSON
          </a>
        </span>
      </div>
      <form className="row wrap card" onSubmit={apply} aria-label="Audit filters">
        <label htmlFor="audit-action">Action</label>
        <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
          <option value="">Any action</option>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label htmlFor="audit-actor">Actor</label>
        <input id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)} />
        <button type="submit">Filter audit log</button>
      </form>
      <ErrorNotice error={error} label="Audit log" />
      <table>
        <caption className="sr-only">Audit entries, newest first</caption>
        <TableHead columns={['Time', 'Actor', 'Action', 'Target', 'Outcome', 'From', 'Details']} />
        <tbody>
          {entries.length === 0 && !loading ? (
            <tr>
              <td colSpan={7} className="muted">
                No entries.
              </td>
            </tr>
          ) : null}
          {entries.map((e) => (
            <tr key={e.id} className={e.outcome === 'failure' ? 'failure' : ''}>
              <td className="nowrap">
                <Time ms={e.time} />
              </td>
              <td>
                <Visible>{e.actor}</Visible> <span className="muted small">({e.actorKind}, {e.role})</span>
              </td>
              <td>
                <Visible>{e.action}</Visible>
              </td>
              <td className="mono small">{e.target ? <Visible max={200}>{e.target}</Visible> : '—'}</td>
              <td>{e.outcome}</td>
              <td className="mono small">
                <Visible>{e.remote ?? '—'}</Visible>
              </td>
              <td className="mono small">
                <Visible max={300}>{Object.keys(e.details ?? {}).length > 0 ? JSON.stringify(e.details) : ''}</Visible>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {loading ? <Loading what="audit entries" /> : null}
      {more && !loading ? (
        <button type="button" onClick={() => void load(entries[entries.length - 1]?.time, true)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

/** Suppressions: what raises nothing, why, by whom, until when, and how often it has hit. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.js';
import type { Suppression } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { Time } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { can, useUser } from '../../session.js';
import { TableHead } from '../../components/table-head.js';

export function SuppressionsSection(): ReactNode {
  const user = useUser();
  const [params] = useSearchParams();
  const { data, error, loading, reload } = useApi<{ suppressions: readonly Suppression[] }>('/api/v1/suppressions');
  const [ruleId, setRuleId] = useState(params.get('rule') ?? '');
  const [fields, setFields] = useState('');
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState('7d');
  const { busy, error: actionError, run, clear } = useAction();
  const [problem, setProblem] = useState('');
  const analyst = can(user, 'analyst');

  const create = (e: FormEvent) => {
    e.preventDefault();
    setProblem('');
    clear();
    const pairs: Record<string, string> = {};
    for (const line of fields.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
      const at = line.indexOf('=');
      if (at <= 0) return setProblem(`“${line.slice(0, 60)}” is not field=value.`);
      pairs[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    void run(async () => {
      await api.post<Suppression>('/api/v1/suppressions', { ...(ruleId.trim() === '' ? {} : { ruleId: ruleId.trim() }), fields: pairs, reason, ...(duration === '' ? {} : { for: duration }) });
      setFields('');
      setReason('');
      reload();
    });
  };

  const remove = (s: Suppression) =>
    run(async () => {
      await api.delete(`/api/v1/suppressions/${encodeURIComponent(s.id)}`);
      reload();
    });

  return (
    <section aria-labelledby="suppressions-title">
      <h2 id="suppressions-title">Suppressions</h2>
      {analyst ? (
        <form className="card stack" onSubmit={create} aria-label="New suppression">
          <label htmlFor="sup-rule">Rule id (empty: every rule)</label>
          <input id="sup-rule" className="mono" value={ruleId} onChange={(e) => setRuleId(e.target.value)} />
          <label htmlFor="sup-fields">Fields, one field=value a line</label>
          <textarea id="sup-fields" className="mono" rows={3} value={fields} onChange={(e) => setFields(e.target.value)} placeholder="source.ip=203.0.113.7" />
          <label htmlFor="sup-reason">Reason</label>
          <input id="sup-reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
          <label htmlFor="sup-for">For</label>
          <select id="sup-for" value={duration} onChange={(e) => setDuration(e.target.value)}>
            <option value="1d">1 day</option>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
            <option value="90d">90 days</option>
            <option value="">Until deleted</option>
          </select>
          {problem ? (
            <div className="notice error" role="alert">
              {problem}
            </div>
          ) : null}
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              Create suppression
            </button>
          </div>
        </form>
      ) : null}
      <ErrorNotice error={actionError} label="Suppressions" />
      <ErrorNotice error={error} label="Suppressions" />
      {loading && !data ? <Loading what="suppressions" /> : null}
      {data ? (
        <table>
          <caption className="sr-only">Suppressions</caption>
          <TableHead columns={['Rule', 'Fields', 'Reason', 'Author', 'Expires', { label: 'Hits', numeric: true }, { label: 'Actions', hidden: true }]} />
          <tbody>
            {data.suppressions.length === 0 ? (
              <tr>
                <td colSpan={7} className="muted">
                  No suppressions.
                </td>
              </tr>
            ) : null}
            {data.suppressions.map((s) => (
              <tr key={s.id}>
                <td className="mono small">{s.ruleId ? <Visible>{s.ruleId}</Visible> : <span className="muted">every rule</span>}</td>
                <td className="mono small">
                  {Object.entries(s.fields).map(([f, v]) => (
                    <div key={f}>
                      <Visible>{`${f}=${v}`}</Visible>
                    </div>
                  ))}
                </td>
                <td>
                  <Visible>{s.reason}</Visible>
                </td>
                <td>
                  <Visible>{s.author}</Visible> <Time ms={s.created} />
                </td>
                <td>{s.expires ? <Time ms={s.expires} /> : 'never'}</td>
                <td className="num">{s.hits}</td>
                <td>
                  {analyst ? (
                    <button type="button" className="danger" onClick={() => void remove(s)} aria-label={`Delete suppression ${s.id}`}>
                      Delete
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

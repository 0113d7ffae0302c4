/** API tokens for shippers and scripts: create (the secret is shown once), list, revoke. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.js';
import type { ApiToken } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { Time } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { visibleText } from '../../components/visible-text.js';
import { SecretOnce } from './secret-once.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { TableHead } from '../../components/table-head.js';

export function TokensSection(): ReactNode {
  const { data, error, loading, reload } = useApi<{ tokens: readonly ApiToken[] }>('/api/v1/tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState('ingest');
  const [created, setCreated] = useState<{ name: string; token: string } | undefined>();
  const { busy, error: actionError, run } = useAction();

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const reply = await api.post<{ id: string; name: string; role: string; token: string }>('/api/v1/tokens', { name: name.trim(), role });
      setCreated({ name: reply.name, token: reply.token });
      setName('');
      reload();
    });
  };

  const revoke = (t: ApiToken) =>
    run(async () => {
      await api.delete(`/api/v1/tokens/${encodeURIComponent(t.id)}`);
      reload();
    });

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tokens</h2>
      <form className="row wrap card" onSubmit={create}>
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor="token-role">Token role</label>
        <select id="token-role" value={role} onChange={(e) => setRole(e.target.value)}>
          <option value="ingest">ingest (send events only)</option>
          <option value="analyst">analyst</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" className="primary" disabled={busy}>
          Create token
        </button>
      </form>
      {created ? <SecretOnce label="New token secret" what={`the token “${visibleText(created.name)}”`} secret={created.token} onDismiss={() => setCreated(undefined)} /> : null}
      <ErrorNotice error={actionError} label="Tokens" />
      <ErrorNotice error={error} label="Tokens" />
      {loading && !data ? <Loading what="tokens" /> : null}
      {data ? (
        <table>
          <caption className="sr-only">API tokens</caption>
          <TableHead columns={['Name', 'Role', 'Created', 'State', { label: 'Actions', hidden: true }]} />
          <tbody>
            {data.tokens.map((t) => (
              <tr key={t.id} className={t.revoked ? 'disabled' : ''}>
                <td>
                  <Visible>{t.name}</Visible>
                </td>
                <td>{t.role}</td>
                <td>
                  <Time ms={t.created} />
                </td>
                <td>{t.revoked ? 'revoked' : 'active'}</td>
                <td>
                  {t.revoked ? null : (
                    <ConfirmButton label={`Revoke ${visibleText(t.name)}`} question="Whatever uses this token stops working at once." onConfirm={() => void revoke(t)}>
                      Revoke
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

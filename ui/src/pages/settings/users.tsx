/**
 * Console users (admin): create (a generated password shown once, to be changed at first
 * login), change a role, disable, reset a password, delete. The server refuses an admin
 * removing or demoting itself or the last admin, and says so.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client.js';
import type { Role, User } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { Time } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { visibleText } from '../../components/visible-text.js';
import { useUser } from '../../session.js';
import { SecretOnce } from './secret-once.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { TableHead } from '../../components/table-head.js';

const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];

export function UsersSection(): ReactNode {
  const me = useUser();
  const { data, error, loading, reload } = useApi<{ users: readonly User[] }>('/api/v1/users');
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [secret, setSecret] = useState<{ who: string; password: string } | undefined>();
  const action = useAction();
  const { busy, error: actionError } = action;
  const run = (work: () => Promise<void>) =>
    action.run(async () => {
      await work();
      reload();
    });

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const reply = await api.post<{ user: User; password?: string }>('/api/v1/users', { username: username.trim(), role });
      if (reply.password) setSecret({ who: reply.user.username, password: reply.password });
      setUsername('');
    });
  };
  const path = (u: User) => `/api/v1/users/${encodeURIComponent(u.id)}`;

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <form className="row wrap card" onSubmit={create}>
        <label htmlFor="user-new-name">New username</label>
        <input id="user-new-name" value={username} onChange={(e) => setUsername(e.target.value)} required maxLength={100} autoComplete="off" />
        <label htmlFor="user-new-role">New user role</label>
        <select id="user-new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={busy}>
          Create user
        </button>
      </form>
      {secret ? <SecretOnce label="Initial password" what={`the password of ${visibleText(secret.who)} (to be changed at first sign-in)`} secret={secret.password} onDismiss={() => setSecret(undefined)} /> : null}
      <ErrorNotice error={actionError} label="Users" />
      <ErrorNotice error={error} label="Users" />
      {loading && !data ? <Loading what="users" /> : null}
      {data ? (
        <table>
          <caption className="sr-only">Console users</caption>
          <TableHead columns={['User', 'Role', 'Last sign-in', 'State', { label: 'Actions', hidden: true }]} />
          <tbody>
            {data.users.map((u) => {
              const name = visibleText(u.username);
              return (
                <tr key={u.id} className={u.disabled ? 'disabled' : ''}>
                  <td>
                    <Visible>{u.username}</Visible>
                    {u.id === me.id ? <span className="muted small"> (you)</span> : null}
                    <div className="muted small">
                      since <Time ms={u.created} />
                    </div>
                  </td>
                  <td>
                    <label className="sr-only" htmlFor={`role-${u.id}`}>{`Role for ${name}`}</label>
                    <select id={`role-${u.id}`} value={u.role} disabled={busy} onChange={(e) => void run(async () => void (await api.patch(path(u), { role: e.target.value })))}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <Time ms={u.lastLogin} />
                  </td>
                  <td>
                    {u.disabled ? 'disabled' : 'active'}
                    {u.mustChangePassword ? <div className="small muted">must change password</div> : null}
                  </td>
                  <td>
                    <div className="row wrap">
                      {u.id === me.id ? null : (
                        <button type="button" disabled={busy} onClick={() => void run(async () => void (await api.patch(path(u), { disabled: !u.disabled })))} aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${name}`}>
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                      )}
                      <button
                        type="button"
                        disabled={busy}
                        aria-label={`Reset password for ${name}`}
                        onClick={() =>
                          void run(async () => {
                            const reply = await api.post<{ password: string }>(`${path(u)}/password`);
                            setSecret({ who: u.username, password: reply.password });
                          })
                        }
                      >
                        Reset password
                      </button>
                      {u.id === me.id ? null : (
                        <ConfirmButton label={`Delete ${name}`} question="The user and its sessions are removed." disabled={busy} onConfirm={() => void run(async () => void (await api.delete(path(u))))}>
                          Delete
                        </ConfirmButton>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

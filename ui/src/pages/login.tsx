/** Signing in, and the password change the server requires at first login. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useAction } from '../api/use-action.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Visible } from '../components/visible.js';
import { useSession } from '../session.js';

export function LoginPage({ notice }: { readonly notice?: string | undefined }): ReactNode {
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!(await run(() => signIn(username, password)))) setPassword('');
  };

  return (
    <main id="main" className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Vigil</h1>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label htmlFor="login-username">Username</label>
        <input id="login-username" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorNotice error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
        <p className="muted small">
          The first administrator is <code>admin</code>; its initial password is in <code>&lt;data&gt;/initial-admin-password</code>.
        </p>
      </form>
    </main>
  );
}

export function ChangePasswordPage({ username }: { readonly username: string }): ReactNode {
  const { changePassword, signOut } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const { busy, error, run, clear } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    if (next.length < 12) return setProblem('The new password needs at least 12 characters.');
    if (next !== repeat) return setProblem('The two new passwords differ.');
    if (next === current) return setProblem('The new password must differ from the current one.');
    setProblem(undefined);
    void run(() => changePassword(current, next));
  };

  return (
    <main id="main" className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="password-title">
        <h1 id="password-title">Change your password</h1>
        <p>
          <Visible>{username}</Visible>, choose a new password before going on (at least 12 characters).
        </p>
        <label htmlFor="password-current">Current password</label>
        <input id="password-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <label htmlFor="password-new">New password</label>
        <input id="password-new" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} aria-describedby="password-rule" />
        <span id="password-rule" className="muted small">
          At least 12 characters, different from the current one.
        </span>
        <label htmlFor="password-repeat">Repeat new password</label>
        <input id="password-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        {problem ? (
          <div className="notice error" role="alert">
            {problem}
          </div>
        ) : null}
        <ErrorNotice error={error} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Change password
          </button>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </form>
    </main>
  );
}

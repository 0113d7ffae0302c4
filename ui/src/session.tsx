/**
 * Who is signed in. The session is an HttpOnly cookie the console never sees; what it keeps is
 * the user (for the role and the name) and the CSRF token every write must carry. Any request
 * that finds the session gone, or a password change still due, sends the console back to the
 * matching page.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onSessionProblem, setCsrfToken } from './api/client.js';
import type { Role, SessionReply, User } from './api/types.js';
import { asApiError } from './api/use-api.js';

export type SessionStatus =
  | { readonly kind: 'loading' }
  | { readonly kind: 'unreachable'; readonly error: ApiError }
  | { readonly kind: 'signed-out'; readonly notice?: string }
  | { readonly kind: 'change-password'; readonly user: User }
  | { readonly kind: 'signed-in'; readonly user: User };

interface SessionActions {
  readonly status: SessionStatus;
  signIn(username: string, password: string): Promise<void>;
  changePassword(current: string, next: string): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<SessionActions | undefined>(undefined);

export function SessionProvider({ children }: { readonly children: ReactNode }): ReactNode {
  const [status, setStatus] = useState<SessionStatus>({ kind: 'loading' });
  const [round, setRound] = useState(0);

  const accept = useCallback((reply: SessionReply) => {
    setCsrfToken(reply.csrfToken);
    setStatus(reply.user.mustChangePassword ? { kind: 'change-password', user: reply.user } : { kind: 'signed-in', user: reply.user });
  }, []);

  useEffect(() => {
    let live = true;
    api
      .get<SessionReply>('/api/v1/session')
      .then((reply) => live && accept(reply))
      .catch((e: unknown) => {
        if (!live) return;
        const error = asApiError(e);
        setStatus(error.status === 401 ? { kind: 'signed-out' } : { kind: 'unreachable', error });
      });
    return () => {
      live = false;
    };
  }, [round, accept]);

  useEffect(
    () =>
      onSessionProblem((problem) => {
        if (problem === 'unauthorized') {
          setCsrfToken('');
          setStatus({ kind: 'signed-out', notice: 'Your session has ended. Sign in again.' });
        } else {
          setStatus((s) => (s.kind === 'signed-in' ? { kind: 'change-password', user: s.user } : s));
        }
      }),
    [],
  );

  const signIn = useCallback(
    async (username: string, password: string) => {
      accept(await api.post<SessionReply>('/api/v1/session', { username, password }));
    },
    [accept],
  );

  const changePassword = useCallback(async (current: string, next: string) => {
    const reply = await api.post<{ user: User }>('/api/v1/session/password', { current, new: next });
    setStatus({ kind: 'signed-in', user: reply.user });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.delete('/api/v1/session');
    } finally {
      setCsrfToken('');
      setStatus({ kind: 'signed-out', notice: 'You have signed out.' });
    }
  }, []);

  const retry = useCallback(() => {
    setStatus({ kind: 'loading' });
    setRound((r) => r + 1);
  }, []);

  return <SessionContext.Provider value={{ status, signIn, changePassword, signOut, retry }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionActions {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in user (pages under the shell only render when there is one). */
export function useUser(): User {
  const { status } = useSession();
  if (status.kind !== 'signed-in') throw new Error('useUser without a signed-in user');
  return status.user;
}

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };

/** Whether the user's role reaches `needed`; the API enforces the same, this only hides buttons. */
export function can(user: User, needed: Role): boolean {
  return (RANK[user.role] ?? -1) >= RANK[needed];
}

export { ApiError };

/**
 * Console users and logins for tests: users created in a store the way the API creates them
 * (scrypt hash and all), logins through the real `POST /api/v1/session`, and the headers a
 * browser page of the console would send with its session.
 */
import type { SessionStore, UserStore } from '../core/accounts.js';
import type { UserRole } from '../core/store.js';
import { PasswordHasher } from './auth/password-hash.js';
import { UserAccounts, type UserView } from './auth/user-accounts.js';

export interface TestSession {
  readonly cookie: string;
  readonly csrf: string;
  readonly user: UserView;
  /** The whole Set-Cookie header of the login answer. */
  readonly setCookie: string;
}

const hasher = new PasswordHasher();

/** A user with a known password; ready to use unless `mustChangePassword`. */
export async function createTestUser(
  store: UserStore & SessionStore,
  spec: { username: string; role: UserRole; password?: string; tenant?: string; mustChangePassword?: boolean },
): Promise<{ id: string; username: string; password: string }> {
  const password = spec.password ?? `${spec.username}-password-1234`;
  const { user } = await new UserAccounts(store, hasher).create({ username: spec.username, role: spec.role, tenant: spec.tenant ?? 'acme', password });
  if (spec.mustChangePassword !== true) await store.updateUser(user.id, { mustChangePassword: false });
  return { id: user.id, username: user.username, password };
}

export interface LoginAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
  readonly session: TestSession | undefined;
}

export async function login(url: string, username: string, password: string, headers: Record<string, string> = {}): Promise<LoginAnswer> {
  const response = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as { user?: UserView; csrfToken?: string };
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = /^(vigil_session=[^;]+)/.exec(setCookie)?.[1];
  const session = response.status === 200 && cookie && body.user && body.csrfToken ? { cookie, csrf: body.csrfToken, user: body.user, setCookie } : undefined;
  return { status: response.status, body, headers: response.headers, session };
}

/** Logs in and fails the test when that does not work. */
export async function loginOk(url: string, username: string, password: string): Promise<TestSession> {
  const answer = await login(url, username, password);
  if (!answer.session) throw new Error(`login of ${username} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.session;
}

/** What a console page sends: the cookie, and the CSRF token on requests that change things. */
export function sessionHeaders(session: TestSession, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie: session.cookie, 'x-csrf-token': session.csrf, ...extra };
}

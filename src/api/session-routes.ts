/**
 * Console sessions over HTTP (docs/accounts.md):
 * - `POST   /api/v1/session` `{"username","password"}` (public): log in; sets the session cookie
 *   and answers the user and the CSRF token. Wrong username and wrong password get the same
 *   answer after the same work; failures are rate limited per address and username (429).
 * - `GET    /api/v1/session`: who is calling, and the CSRF token of the session.
 * - `DELETE /api/v1/session`: log out (the session ends in the store, the cookie is cleared).
 * - `POST   /api/v1/session/password` `{"current","new"}`: change one's own password.
 * These record their own audit entries (login, login-failed, logout, password-change).
 */
import { readFile, rm } from 'node:fs/promises';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRecord } from '../core/accounts.js';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';
import type { AuditTrail } from './audit/audit-trail.js';
import type { AccountMetrics } from './auth/account-metrics.js';
import { sameOrigin } from './auth/auth-hook.js';
import type { LoginRateLimiter } from './auth/login-rate-limit.js';
import { MAX_PASSWORD_CHARS, type PasswordHasher } from './auth/password-hash.js';
import { clearedSessionCookie, csrfTokenFor, hashSessionId, readSessionCookie, sessionCookie } from './auth/session-cookie.js';
import type { Sessions } from './auth/sessions.js';
import { USERNAME_PATTERN, userView, type UserAccounts, type UserView } from './auth/user-accounts.js';

export interface SessionRouteOptions {
  readonly store: Store;
  readonly sessions: Sessions;
  readonly accounts: UserAccounts;
  readonly hasher: PasswordHasher;
  readonly limiter: LoginRateLimiter;
  readonly trail: AuditTrail;
  readonly metrics: AccountMetrics;
  readonly secureCookie: boolean;
  readonly allowedOrigins: readonly string[];
  /** The tenant of failed logins that name no known user. */
  readonly defaultTenant: string;
  /** `<data>/initial-admin-password`: removed once the password in it has been changed. */
  readonly initialPasswordFile?: string | undefined;
}

export interface SessionReply {
  readonly user: UserView | null;
  readonly csrfToken: string | null;
  /** Set when the caller is a token rather than a user. */
  readonly token?: { readonly name: string; readonly role: string; readonly tenant: string };
}

const WRONG_CREDENTIALS = 'wrong username or password';
/** Room for a username and two passwords of the longest allowed, in JSON. */
const LOGIN_BODY_BYTES = 16 * 1024;

function loginFields(body: Record<string, unknown>): { username: string; password: string } {
  const { username, password } = body;
  if (typeof username !== 'string' || username.length === 0 || username.length > 256) {
    throw new VigilError('bad-request', 'username must be text of 1 to 256 characters', { where: 'username' });
  }
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_CHARS * 4) {
    throw new VigilError('bad-request', `password must be text of 1 to ${MAX_PASSWORD_CHARS} characters`, { where: 'password' });
  }
  return { username: username.trim().toLowerCase(), password };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export async function sessionRoutes(app: FastifyInstance, options: SessionRouteOptions): Promise<void> {
  const { store, sessions, hasher, limiter, trail, metrics } = options;

  /** Audit entries of the login route itself (it has no principal). */
  function recordLogin(request: FastifyRequest, outcome: 'success' | 'failure', name: string, user: UserRecord | undefined, details: Record<string, unknown>): void {
    trail.record({
      // Only names of the username's shape are kept: a password typed into the username field is not.
      actor: USERNAME_PATTERN.test(name) ? name : '(not a username)',
      actorKind: 'user',
      role: user?.role ?? '',
      tenant: user?.tenant ?? options.defaultTenant,
      action: outcome === 'success' ? 'login' : 'login-failed',
      target: null,
      outcome,
      remote: request.ip ?? null,
      details,
    });
  }

  // The login is public: its body is read before anyone is known, so it is kept small.
  app.post('/api/v1/session', { config: { access: 'public' }, bodyLimit: LOGIN_BODY_BYTES }, async (request, reply): Promise<SessionReply> => {
    void reply.header('cache-control', 'no-store');
    if (!sameOrigin(request, options.allowedOrigins)) {
      metrics.sessionRefusals.inc({ reason: 'origin' });
      throw new VigilError('forbidden', 'cross-origin login refused', { where: 'Origin header' });
    }
    const { username, password } = loginFields(jsonObjectBody(request.body, '{"username": "admin", "password": "…"}'));
    const address = request.ip ?? 'unknown';
    const check = limiter.check(address, username);
    if (!check.allowed) {
      metrics.logins.inc({ outcome: 'rate-limited' });
      recordLogin(request, 'failure', username, undefined, { reason: 'rate-limited' });
      void reply.header('retry-after', String(check.retryAfterSeconds));
      throw new VigilError('rate-limited', `too many failed logins; wait ${check.retryAfterSeconds} seconds and retry`, { where: 'username' });
    }
    const user = USERNAME_PATTERN.test(username) ? await store.findUserByName(username) : undefined;
    // An unknown user costs one hash, like a wrong password: the timing tells nothing apart.
    const matches = user === undefined ? await hasher.verifyDummy(password) : await hasher.verify(password, user.passwordHash);
    if (user === undefined || !matches || user.disabled) {
      limiter.fail(address, username);
      metrics.logins.inc({ outcome: 'failure' });
      recordLogin(request, 'failure', username, user, { reason: user === undefined ? 'unknown-user' : !matches ? 'wrong-password' : 'disabled' });
      throw new VigilError('unauthorized', WRONG_CREDENTIALS, { where: 'body' });
    }
    limiter.succeed(address, username);
    const now = Date.now();
    const upgraded = hasher.needsRehash(user.passwordHash) ? { passwordHash: await hasher.hash(password) } : {};
    const stored = (await store.updateUser(user.id, { lastLogin: now, ...upgraded })) ?? user;
    // A cookie from an earlier session of this browser is ended, not left to idle out.
    const previous = readSessionCookie(request.headers.cookie);
    if (previous !== undefined) await sessions.end(hashSessionId(previous)).catch(() => false);
    const opened = await sessions.open(stored, request.ip ?? null);
    metrics.logins.inc({ outcome: 'success' });
    recordLogin(request, 'success', stored.username, stored, {});
    void reply.header('set-cookie', sessionCookie(opened.id, { secure: options.secureCookie, maxAgeSeconds: sessions.lifetimeMs / 1000 }));
    return { user: userView(stored), csrfToken: csrfTokenFor(opened.id) };
  });

  const sessionConfig = { access: 'any', passwordChangeExempt: true } as const;

  app.get('/api/v1/session', { config: sessionConfig }, async (request, reply): Promise<SessionReply> => {
    void reply.header('cache-control', 'no-store');
    const principal = principalOf(request);
    if (principal.kind === 'token' || principal.userId === undefined || request.consoleSession === null) {
      return { user: null, csrfToken: null, token: { name: principal.tokenName, role: principal.role, tenant: principal.tenant } };
    }
    const user = await store.getUser(principal.userId);
    if (user === undefined) throw new VigilError('unauthorized', 'the user no longer exists; log in again', { where: 'session cookie' });
    return { user: userView(user), csrfToken: csrfTokenFor(request.consoleSession.id) };
  });

  app.delete('/api/v1/session', { config: sessionConfig }, async (request, reply: FastifyReply) => {
    const principal = principalOf(request);
    if (request.consoleSession === null) throw new VigilError('bad-request', 'a token has no session to end; revoke tokens with DELETE /api/v1/tokens/:id', { where: 'Authorization header' });
    await sessions.end(request.consoleSession.idHash);
    trail.record({ actor: principal.tokenName, actorKind: 'user', role: principal.role, tenant: principal.tenant, action: 'logout', target: null, outcome: 'success', remote: request.ip ?? null, details: {} });
    return reply.status(204).header('set-cookie', clearedSessionCookie(options.secureCookie)).send();
  });

  app.post('/api/v1/session/password', { config: sessionConfig, bodyLimit: LOGIN_BODY_BYTES }, async (request): Promise<{ user: UserView }> => {
    const principal = principalOf(request);
    if (principal.userId === undefined || request.consoleSession === null) {
      throw new VigilError('bad-request', 'only a logged-in user has a password to change; tokens have none', { where: 'Authorization header' });
    }
    const body = jsonObjectBody(request.body, '{"current": "…", "new": "at least 12 characters"}');
    const current = body['current'];
    const next = body['new'];
    if (typeof current !== 'string' || current.length > MAX_PASSWORD_CHARS * 4) throw new VigilError('bad-request', 'current must be your current password', { where: 'current' });
    if (typeof next !== 'string') throw new VigilError('bad-request', 'new must be the new password', { where: 'new' });
    const audit = (outcome: 'success' | 'failure', details: Record<string, unknown>) =>
      trail.record({ actor: principal.tokenName, actorKind: 'user', role: principal.role, tenant: principal.tenant, action: 'password-change', target: principal.userId ?? null, outcome, remote: request.ip ?? null, details });
    // Guessing the current password through a stolen session is limited like a login.
    const address = request.ip ?? 'unknown';
    const check = limiter.check(address, principal.tokenName);
    if (!check.allowed) {
      audit('failure', { reason: 'rate-limited' });
      throw new VigilError('rate-limited', `too many wrong passwords; wait ${check.retryAfterSeconds} seconds and retry`, { where: 'current' });
    }
    let updated: UserRecord | undefined;
    try {
      updated = await options.accounts.changeOwnPassword(principal.userId, current, next, request.consoleSession.idHash);
    } catch (error) {
      audit('failure', { reason: (error as VigilError).code ?? 'error' });
      throw error;
    }
    if (updated === undefined) {
      limiter.fail(address, principal.tokenName);
      audit('failure', { reason: 'wrong-password' });
      throw new VigilError('bad-request', 'the current password is wrong', { where: 'current' });
    }
    limiter.succeed(address, principal.tokenName);
    audit('success', {});
    await removeInitialPasswordFile(options.initialPasswordFile, current);
    return { user: userView(updated) };
  });
}

/** The first-run password file is removed once the password it holds has been changed. */
async function removeInitialPasswordFile(path: string | undefined, oldPassword: string): Promise<void> {
  if (path === undefined) return;
  const content = await readFile(path, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  if (timingSafeEqual(sha256(content.trim()), sha256(oldPassword))) await rm(path, { force: true });
}

/**
 * One `onRequest` hook authenticates every request before fastify reads its body, so an
 * unauthenticated client cannot make the server buffer or inflate anything. Access comes from
 * the route's `config.access` (undeclared routes need admin); the tenant comes from the token
 * or the user, never from the request.
 *
 * Two kinds of caller:
 * - a token in the `Authorization` header (shippers, scripts, the CLI): no CSRF check, since a
 *   browser never adds that header to a cross-site request on its own;
 * - a console user's session cookie: the cookie is sent by the browser on its own, so every
 *   request that may change something (not GET or HEAD) must carry the session's CSRF token in
 *   `x-csrf-token`, and a cross-origin `Origin` (or `Sec-Fetch-Site`) is refused. A user who
 *   must change its password may call nothing but the session routes until it has.
 * When both are sent, the token decides. Every refusal is counted as dropped `unauthorized`
 * under the route's input; session refusals also by reason.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../core/metrics.js';
import type { TokenRecord } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { accessOf, inputOf, roleMayAccess, type Principal, type RouteAccess } from '../../sources/http/index.js';
import { readCredential } from './credentials.js';
import { hashToken, looksLikeToken } from './tokens.js';
import type { TokenCache } from './token-cache.js';
import type { LiveSession, Sessions } from './sessions.js';
import { clearedSessionCookie, csrfTokenMatches, readSessionCookie } from './session-cookie.js';
import type { AccountMetrics, SessionRefusal } from './account-metrics.js';

export interface AuthHookOptions {
  readonly tokens: TokenCache;
  readonly sessions: Sessions;
  readonly metrics: Metrics;
  readonly accountMetrics: AccountMetrics;
  /** Whether the session cookie is set with `Secure`. */
  readonly secureCookie: boolean;
  /** Origins (`https://vigil.example.com`) allowed besides the request's own host (a proxy that rewrites Host). */
  readonly allowedOrigins: readonly string[];
}

/**
 * A refusal (401, 403) without a stack trace: it is answered, never logged with its stack, and
 * capturing one was about a twentieth of a 401's CPU under a flood of bad tokens
 * (test/reliability/resource-bombs.reliability.ts).
 */
function refusal(code: 'unauthorized' | 'forbidden' | 'csrf' | 'password-change-required', message: string, where: string): VigilError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new VigilError(code, message, { where });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function invalidToken(): VigilError {
  return refusal('unauthorized', 'the token is not valid or was revoked; create one with "vigil token create"', 'Authorization header');
}

function refuse(metrics: Metrics, request: FastifyRequest, reply: FastifyReply, error: VigilError): VigilError {
  metrics.drop(inputOf(request), 'unauthorized');
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="vigil"');
  return error;
}

function hasQueryToken(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return query !== undefined && query !== null && typeof query === 'object' && ('token' in query || 'access_token' in query);
}

function routeName(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

function forbiddenFor(role: string, access: RouteAccess, request: FastifyRequest, kind: 'token' | 'user'): VigilError {
  const needs = access === 'viewer' ? 'viewer, analyst or admin' : access === 'ingest' ? 'ingest or admin' : access === 'analyst' ? 'analyst or admin' : 'admin';
  return refusal('forbidden', `a ${kind} with role "${role}" may not call this route; it needs role ${needs}`, routeName(request));
}

/**
 * Whether a request carrying the session cookie comes from a page of this server. Browsers send
 * `Origin` on every cross-origin request and on same-origin ones that are not GET/HEAD, and
 * `Sec-Fetch-Site` on all of them; either naming another site refuses the request. Without
 * both (curl, old browsers) the request is let through: SameSite=Strict and the CSRF header
 * still guard it.
 */
export function sameOrigin(request: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and anything unparsable
  }
  return host !== '' && host === request.headers.host;
}

export function installAuthHook(app: FastifyInstance, options: AuthHookOptions): void {
  const { tokens, sessions, metrics, accountMetrics } = options;
  app.decorateRequest('principal', null);
  app.decorateRequest('auditActor', null);
  app.decorateRequest('auditDetails', null);
  app.decorateRequest('consoleSession', null);

  const refuseSession = (request: FastifyRequest, reply: FastifyReply, reason: SessionRefusal, error: VigilError): VigilError => {
    accountMetrics.sessionRefusals.inc({ reason });
    return refuse(metrics, request, reply, error);
  };

  async function bySession(request: FastifyRequest, reply: FastifyReply, access: RouteAccess, id: string): Promise<void> {
    let live: LiveSession | undefined;
    try {
      live = await sessions.resolve(id);
    } catch (error) {
      throw new VigilError('store-unavailable', 'cannot check the session right now (the store is unavailable); retry shortly', { cause: error });
    }
    if (live === undefined) {
      reply.header('set-cookie', clearedSessionCookie(options.secureCookie));
      throw refuseSession(request, reply, 'expired', refusal('unauthorized', 'the session has ended or is not valid; log in again', 'session cookie'));
    }
    const { user } = live;
    const principal: Principal = { kind: 'user', userId: user.id, tokenName: user.username, tenant: user.tenant, role: user.role };
    request.auditActor = principal;
    if (!sameOrigin(request, options.allowedOrigins)) {
      throw refuseSession(
        request,
        reply,
        'origin',
        refusal(
          'forbidden',
          'cross-origin request refused: the console API answers only pages it served (behind a proxy, list its origin in accounts.allowedOrigins)',
          'Origin header',
        ),
      );
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && !csrfTokenMatches(id, request.headers['x-csrf-token'])) {
      throw refuseSession(
        request,
        reply,
        'csrf',
        refusal('csrf', 'send the session\'s CSRF token (from POST or GET /api/v1/session) in the x-csrf-token header', 'x-csrf-token header'),
      );
    }
    if (user.mustChangePassword && request.routeOptions.config.passwordChangeExempt !== true) {
      throw refuseSession(
        request,
        reply,
        'password-change-required',
        refusal('password-change-required', 'change your password first: POST /api/v1/session/password {"current", "new"}', routeName(request)),
      );
    }
    if (!roleMayAccess(user.role, access)) throw refuse(metrics, request, reply, forbiddenFor(user.role, access, request, 'user'));
    request.principal = principal;
    request.consoleSession = { idHash: live.idHash, id };
    sessions.noteActivity(live);
  }

  async function byToken(request: FastifyRequest, reply: FastifyReply, access: RouteAccess, secret: string): Promise<void> {
    let record: TokenRecord | undefined;
    try {
      record = await tokens.lookup(hashToken(secret));
    } catch (error) {
      throw new VigilError('store-unavailable', 'cannot check the token right now (the store is unavailable); retry shortly', { cause: error });
    }
    if (!record || record.revoked) throw refuse(metrics, request, reply, invalidToken());
    const principal: Principal = { kind: 'token', tokenId: record.id, tokenName: record.name, tenant: record.tenant, role: record.role };
    request.auditActor = principal;
    if (!roleMayAccess(record.role, access)) throw refuse(metrics, request, reply, forbiddenFor(record.role, access, request, 'token'));
    request.principal = principal;
  }

  /**
   * Decides at once (returns undefined, or throws the refusal) when no lookup is needed: public
   * routes, a missing or malformed credential, a secret not shaped like a token. Only a lookup
   * (a token, a session) returns a promise. Under a flood of bad tokens most requests end here
   * synchronously, without the promise an async hook costs.
   */
  function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const access = accessOf(request);
    if (access === 'public') return undefined;
    const credential = readCredential(request.headers.authorization);
    if (credential.kind === 'missing') {
      const sessionId = readSessionCookie(request.headers.cookie);
      if (sessionId !== undefined) return bySession(request, reply, access, sessionId);
      const hint = hasQueryToken(request)
        ? 'tokens in the URL are refused (URLs end up in logs); send "Authorization: Bearer <token>"'
        : 'this route needs a token: send "Authorization: Bearer <token>" (or Splunk/Basic/ApiKey, see docs/shippers.md), or log in to the console';
      throw refuse(metrics, request, reply, refusal('unauthorized', hint, 'Authorization header'));
    }
    if (credential.kind === 'malformed') throw refuse(metrics, request, reply, refusal('unauthorized', credential.reason, 'Authorization header'));
    if (!looksLikeToken(credential.secret)) throw refuse(metrics, request, reply, invalidToken());
    return byToken(request, reply, access, credential.secret);
  }

  app.addHook('onRequest', (request, reply, done) => {
    let lookup: Promise<void> | undefined;
    try {
      lookup = authenticate(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (lookup === undefined) done();
    else lookup.then(() => done(), (error: Error) => done(error));
  });
}

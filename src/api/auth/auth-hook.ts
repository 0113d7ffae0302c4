/**
 * One `onRequest` hook authenticates every request before fastify reads its body, so an
 * unauthenticated client cannot make the server buffer or inflate anything. Access comes from
 * the route's `config.access` (undeclared routes need admin); the tenant comes from the token.
 * Every refusal is counted as dropped `unauthorized` under the route's input.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../core/metrics.js';
import type { TokenRecord } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { accessOf, inputOf, roleMayAccess } from '../../sources/http/index.js';
import { readCredential } from './credentials.js';
import { hashToken, looksLikeToken } from './tokens.js';
import type { TokenCache } from './token-cache.js';

function refuse(metrics: Metrics, request: FastifyRequest, reply: FastifyReply, error: VigilError): VigilError {
  metrics.drop(inputOf(request), 'unauthorized');
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="vigil"');
  return error;
}

function hasQueryToken(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return query !== undefined && query !== null && typeof query === 'object' && ('token' in query || 'access_token' in query);
}

export function installAuthHook(app: FastifyInstance, tokens: TokenCache, metrics: Metrics): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const credential = readCredential(request.headers.authorization);
    if (credential.kind === 'missing') {
      const hint = hasQueryToken(request)
        ? 'tokens in the URL are refused (URLs end up in logs); send "Authorization: Bearer <token>"'
        : 'this route needs a token: send "Authorization: Bearer <token>" (or Splunk/Basic/ApiKey, see docs/shippers.md)';
      throw refuse(metrics, request, reply, new VigilError('unauthorized', hint, { where: 'Authorization header' }));
    }
    if (credential.kind === 'malformed') {
      throw refuse(metrics, request, reply, new VigilError('unauthorized', credential.reason, { where: 'Authorization header' }));
    }
    let record: TokenRecord | undefined;
    try {
      record = looksLikeToken(credential.secret) ? await tokens.lookup(hashToken(credential.secret)) : undefined;
    } catch (error) {
      throw new VigilError('store-unavailable', 'cannot check the token right now (the store is unavailable); retry shortly', { cause: error });
    }
    if (!record || record.revoked) {
      throw refuse(
        metrics,
        request,
        reply,
        new VigilError('unauthorized', 'the token is not valid or was revoked; create one with "vigil token create"', {
          where: 'Authorization header',
        }),
      );
    }
    if (!roleMayAccess(record.role, access)) {
      throw refuse(
        metrics,
        request,
        reply,
        new VigilError('forbidden', `a token with role "${record.role}" may not call this route; it needs role "${access}" or admin`, {
          where: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        }),
      );
    }
    request.principal = { kind: 'token', tokenId: record.id, tokenName: record.name, tenant: record.tenant, role: record.role };
  });
}

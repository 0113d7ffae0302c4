/**
 * Token management for admins: `POST /api/v1/tokens` (the secret is in the reply, once),
 * `GET /api/v1/tokens` (never the hashes), `DELETE /api/v1/tokens/:id` (revoke). An admin sees
 * and manages the tokens of its own tenant only; new tokens belong to that tenant.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role, Store, TokenRecord } from '../core/store.js';
import { VigilError } from '../core/errors.js';
import { principalOf } from '../sources/http/index.js';
import { createToken } from './auth/tokens.js';
import type { TokenCache } from './auth/token-cache.js';
import { jsonBody } from './json-body.js';
import { auditDetail } from './audit/audit-hook.js';

const createBody = z.strictObject({
  name: z.string().trim().min(1, 'give the token a name, e.g. the host or shipper that uses it').max(200),
  role: z.enum(['ingest', 'analyst', 'admin'] satisfies Role[]),
});

export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly tenant: string;
  readonly created: number;
  readonly revoked: boolean;
}

function view(record: TokenRecord): TokenView {
  return { id: record.id, name: record.name, role: record.role, tenant: record.tenant, created: record.created, revoked: record.revoked };
}

export async function tokenRoutes(app: FastifyInstance, options: { store: Store; tokens: TokenCache }): Promise<void> {
  const { store, tokens } = options;

  app.post('/api/v1/tokens', { config: { access: 'admin', audit: 'token-create' } }, async (request, reply) => {
    const principal = principalOf(request);
    const parsed = createBody.safeParse(jsonBody(request.body, '{"name": "...", "role": "ingest|analyst|admin"}'));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue?.path.join('.') || 'body';
      throw new VigilError('bad-request', `${key}: ${issue?.message ?? 'invalid'}`, { where: `body ${key}` });
    }
    const { secret, record } = await createToken(store, { ...parsed.data, tenant: principal.tenant });
    auditDetail(request, { id: record.id, name: record.name, role: record.role });
    tokens.clear();
    reply.status(201);
    return { id: record.id, name: record.name, role: record.role, token: secret };
  });

  app.get('/api/v1/tokens', { config: { access: 'admin' } }, async (request) => {
    const principal = principalOf(request);
    const all = await store.listTokens();
    return { tokens: all.filter((record) => record.tenant === principal.tenant).map(view) };
  });

  app.delete('/api/v1/tokens/:id', { config: { access: 'admin', audit: 'token-revoke' } }, async (request) => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const record = (await store.listTokens()).find((candidate) => candidate.id === id && candidate.tenant === principal.tenant);
    if (!record) throw new VigilError('not-found', `no token with id ${id}; list them with GET /api/v1/tokens`, { where: 'path id' });
    await store.revokeToken(id);
    auditDetail(request, { name: record.name, role: record.role });
    tokens.clear();
    return { id, revoked: true };
  });
}

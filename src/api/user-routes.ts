/**
 * Console users for admins, within the admin's own tenant (docs/accounts.md):
 * - `GET    /api/v1/users`                 `{"users": [User]}`
 * - `POST   /api/v1/users`                 `{"username","role","password"?}` → 201 `{"user", "password"?}`
 *   (the password is in the answer only when it was generated; either way it must be changed at first login)
 * - `PATCH  /api/v1/users/:id`             `{"role"?, "disabled"?}` → `{"user"}`
 * - `POST   /api/v1/users/:id/password`    → `{"user", "password"}`: a new random password, to be changed
 * - `DELETE /api/v1/users/:id`             → `{"deleted": true}`
 * An admin cannot delete or disable itself, nor demote, disable or delete the last admin (409).
 */
import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';
import { auditDetail } from './audit/audit-hook.js';
import { userRole, userView, type UserAccounts, type UserUpdate, type UserView } from './auth/user-accounts.js';

export async function userRoutes(app: FastifyInstance, options: { accounts: UserAccounts }): Promise<void> {
  const { accounts } = options;

  app.get('/api/v1/users', { config: { access: 'admin' } }, async (request): Promise<{ users: UserView[] }> => ({
    users: (await accounts.list(principalOf(request).tenant)).map(userView),
  }));

  app.post('/api/v1/users', { config: { access: 'admin', audit: 'user-create' } }, async (request, reply): Promise<{ user: UserView; password?: string }> => {
    const principal = principalOf(request);
    const body = jsonObjectBody(request.body, '{"username": "alice", "role": "analyst"}');
    for (const key of Object.keys(body)) {
      if (key !== 'username' && key !== 'role' && key !== 'password') throw new VigilError('bad-request', `unknown key ${key}; send username, role and optionally password`, { where: `body ${key}` });
    }
    auditDetail(request, { username: body['username'], role: body['role'] });
    const created = await accounts.create({ username: body['username'], role: body['role'], tenant: principal.tenant, ...(body['password'] === undefined ? {} : { password: body['password'] }) });
    auditDetail(request, { id: created.user.id, username: created.user.username });
    void reply.code(201);
    return created.password === undefined ? { user: userView(created.user) } : { user: userView(created.user), password: created.password };
  });

  app.patch('/api/v1/users/:id', { config: { access: 'admin', audit: 'user-update' } }, async (request): Promise<{ user: UserView }> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const body = jsonObjectBody(request.body, '{"role": "viewer", "disabled": false}');
    let change: UserUpdate = {};
    for (const [key, value] of Object.entries(body)) {
      if (key === 'role') change = { ...change, role: userRole(value) };
      else if (key === 'disabled') {
        if (typeof value !== 'boolean') throw new VigilError('bad-request', 'disabled is true or false', { where: 'disabled' });
        change = { ...change, disabled: value };
      } else throw new VigilError('bad-request', `unknown key ${key}; send role and/or disabled`, { where: `body ${key}` });
    }
    if (change.role === undefined && change.disabled === undefined) throw new VigilError('bad-request', 'send role and/or disabled', { where: 'body' });
    auditDetail(request, { ...change });
    const user = await accounts.update({ userId: principal.userId }, principal.tenant, id, change);
    auditDetail(request, { username: user.username });
    return { user: userView(user) };
  });

  app.post('/api/v1/users/:id/password', { config: { access: 'admin', audit: 'user-password-reset' } }, async (request): Promise<{ user: UserView; password: string }> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const { user, password } = await accounts.resetPassword({ userId: principal.userId }, principal.tenant, id);
    auditDetail(request, { username: user.username });
    return { user: userView(user), password };
  });

  app.delete('/api/v1/users/:id', { config: { access: 'admin', audit: 'user-delete' } }, async (request): Promise<{ deleted: true }> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const user = await accounts.delete({ userId: principal.userId }, principal.tenant, id);
    auditDetail(request, { username: user.username });
    return { deleted: true };
  });
}

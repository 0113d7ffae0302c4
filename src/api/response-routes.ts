/**
 * Automated response over HTTP: the runs of the caller's tenant (analyst), and approval or
 * rejection of runs waiting for it (admin: approving runs a destructive step). Who approved is
 * the token's name, recorded in the run and its audit trail.
 */
import type { FastifyInstance } from 'fastify';
import type { ResponseRun } from '../actions/response/response-engine.js';
import type { Playbook } from '../actions/response/playbook.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';
import { auditDetail } from './audit/audit-hook.js';
import { VigilError } from '../core/errors.js';

/**
 * What the routes need of automated response: the ResponseEngine of this process, or (a
 * scale-out api role without the detect role) the detect roles' engines over NATS.
 */
export interface ResponseDesk {
  /** The playbooks as loaded (the console's settings show them). */
  readonly playbooks: readonly Playbook[];
  runs(tenant: string): readonly ResponseRun[] | Promise<readonly ResponseRun[]>;
  approve(tenant: string, runId: string, by: string): Promise<ResponseRun>;
  reject(tenant: string, runId: string, by: string, reason: string): ResponseRun | Promise<ResponseRun>;
}

/**
 * Registered whether or not playbooks are configured: without them the runs list is empty and
 * says so (`configured: false`), so a console page never meets a 404 for an optional feature.
 */
export async function responseRoutes(app: FastifyInstance, options: { response: ResponseDesk | undefined }): Promise<void> {
  const engine = (): ResponseDesk => {
    if (!options.response) throw new VigilError('not-found', 'automated response is not configured on this server: add playbooks under response.playbooks in vigil.yaml (docs/response.md)', { where: 'response.playbooks' });
    return options.response;
  };
  app.get('/api/v1/response/runs', { config: { access: 'viewer' } }, async (request): Promise<{ runs: readonly ResponseRun[]; configured: boolean }> => ({
    runs: options.response ? (await options.response.runs(principalOf(request).tenant)).slice(0, 1000) : [],
    configured: options.response !== undefined,
  }));
  app.post('/api/v1/response/runs/:id/approve', { config: { access: 'admin', audit: 'response-approve' } }, async (request): Promise<ResponseRun> => {
    const principal = principalOf(request);
    return engine().approve(principal.tenant, (request.params as { id: string }).id, principal.tokenName);
  });
  app.post('/api/v1/response/runs/:id/reject', { config: { access: 'admin', audit: 'response-reject' } }, async (request): Promise<ResponseRun> => {
    const principal = principalOf(request);
    const body = request.body && Buffer.isBuffer(request.body) && request.body.length > 0 ? jsonObjectBody(request.body, '{"reason": "false positive"}') : {};
    const reason = typeof body['reason'] === 'string' ? body['reason'].slice(0, 2000) : '';
    auditDetail(request, { reason });
    return engine().reject(principal.tenant, (request.params as { id: string }).id, principal.tokenName, reason);
  });
}

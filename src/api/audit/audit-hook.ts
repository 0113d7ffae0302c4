/**
 * The audit trail of the API: a route that declares `config.audit` gets one entry per call,
 * written after the answer has left (`onResponse`), so auditing adds nothing to the caller's
 * wait. The actor is the credential's (also when the route then refused it: a viewer trying to
 * triage is recorded as a failure), the target is the route's `:id`, the outcome is success
 * below status 400, and `details` are what the handler put in `request.auditDetails`, plus the
 * status of a failure. Calls without a valid credential have no actor and are not recorded
 * here: they are counted as dropped `unauthorized`. Ingest routes declare no audit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditAction } from '../../core/audit.js';
import type { Principal } from '../../sources/http/index.js';
import type { AuditTrail } from './audit-trail.js';

/** Adds to the details of the request's audit entry. */
export function auditDetail(request: FastifyRequest, details: Record<string, unknown>): void {
  request.auditDetails = { ...(request.auditDetails ?? {}), ...details };
}

export function actorOf(principal: Principal): { actor: string; actorKind: 'user' | 'token'; role: string; tenant: string } {
  return { actor: principal.tokenName, actorKind: principal.kind, role: principal.role, tenant: principal.tenant };
}

function auditCall(trail: AuditTrail, request: FastifyRequest, reply: FastifyReply): void {
  const action: AuditAction | undefined = request.routeOptions.config?.audit;
  if (action === undefined) return;
  const principal = request.principal ?? request.auditActor;
  if (principal === null) return;
  const params = request.params as Record<string, unknown> | undefined;
  const id = params !== null && typeof params === 'object' && typeof params['id'] === 'string' ? params['id'] : null;
  const failed = reply.statusCode >= 400;
  trail.record({
    ...actorOf(principal),
    action,
    target: id,
    outcome: failed ? 'failure' : 'success',
    remote: request.ip ?? null,
    details: { ...(request.auditDetails ?? {}), ...(failed ? { status: reply.statusCode } : {}) },
  });
}

export function installAuditHook(app: FastifyInstance, trail: AuditTrail): void {
  // A callback hook, not an async one: it runs after every answer, most of which (ingest,
  // refusals) audit nothing, and a promise per answer is measurable under a flood.
  app.addHook('onResponse', (request, reply, done) => {
    try {
      auditCall(trail, request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}

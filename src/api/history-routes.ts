/**
 * Stored history over HTTP (admin): `GET /api/v1/verify` checks the event chain of the whole
 * store, `GET /api/v1/retention` lists recent retention runs, `POST /api/v1/retention/run`
 * enforces retention now. Admin only: they concern every tenant's data, and `run` deletes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChainReport, RetentionRun } from '../core/history.js';
import type { Store } from '../core/store.js';
import { VigilError } from '../core/errors.js';

export interface RetentionEnforcer {
  /** Enforces every rule now (after a run in progress); the runs it recorded. */
  run(): Promise<readonly RetentionRun[]>;
}

/**
 * A check of a large store, or a first deletion, can take minutes with nothing on the wire; the
 * listener's idle timeout (2 min) would cut it off. These routes are admin-only and rare.
 */
function allowLongAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const socket = request.raw.socket;
  const previous = socket.timeout ?? 0;
  socket.setTimeout(0);
  // The connection may be kept alive for other requests: they get the usual timeout back.
  reply.raw.once('finish', () => socket.setTimeout(previous));
}

export async function historyRoutes(app: FastifyInstance, options: { store: Store; retention?: RetentionEnforcer | undefined }): Promise<void> {
  app.get('/api/v1/verify', { config: { access: 'admin' } }, async (request, reply): Promise<ChainReport> => {
    allowLongAnswer(request, reply);
    return options.store.verifyChain();
  });
  app.get('/api/v1/retention', { config: { access: 'admin' } }, async (request): Promise<{ runs: readonly RetentionRun[] }> => {
    const raw = (request.query as { limit?: string } | undefined)?.limit;
    const limit = raw === undefined ? 100 : Number(raw);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new VigilError('query-invalid', 'limit is a whole number from 1 to 10000', { where: 'query parameter limit' });
    return { runs: await options.store.listRetentionRuns(limit) };
  });
  app.post('/api/v1/retention/run', { config: { access: 'admin', audit: 'retention-run' } }, async (request, reply): Promise<{ runs: readonly RetentionRun[] }> => {
    allowLongAnswer(request, reply);
    if (options.retention === undefined) throw new VigilError('not-found', 'retention is not enforced by this server', { where: 'POST /api/v1/retention/run' });
    const runs = await options.retention.run();
    request.auditDetails = { ...(request.auditDetails ?? {}), runs: runs.length, deleted: runs.reduce((n, r) => n + r.deleted, 0) };
    return { runs };
  });
}

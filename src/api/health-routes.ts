/**
 * `GET /healthz` (no token: load balancers and orchestrators probe it; it says only up or down
 * plus the details the caller of startHttpServer chose to share) and `GET /metrics`
 * (Prometheus text; analyst or admin, since counters reveal traffic volumes per input).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../core/metrics.js';

export type HealthCheck = () => { ok: boolean; details: Record<string, unknown> };

export async function healthRoutes(app: FastifyInstance, options: { metrics: Metrics; health?: HealthCheck | undefined }): Promise<void> {
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => {
    const health = options.health?.() ?? { ok: true, details: {} };
    reply.status(health.ok ? 200 : 503);
    return { ...health.details, status: health.ok ? 'ok' : 'unavailable' };
  });

  app.get('/metrics', { config: { access: 'analyst' } }, async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}

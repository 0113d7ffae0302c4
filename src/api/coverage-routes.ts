/**
 * `GET /api/v1/coverage`: which enabled rules can fire on the caller's tenant's stored data,
 * which sources no rule covers, and the ATT&CK techniques covered (src/detect/coverage.ts).
 * Every rule listed names its id, title and author (Detection Rule License).
 */
import type { FastifyInstance } from 'fastify';
import type { CoverageReport } from '../detect/coverage.js';
import { principalOf } from '../sources/http/index.js';

export type CoverageProvider = (tenant: string) => Promise<CoverageReport>;

export async function coverageRoutes(app: FastifyInstance, options: { coverage: CoverageProvider }): Promise<void> {
  app.get('/api/v1/coverage', { config: { access: 'viewer' } }, async (request): Promise<CoverageReport> => options.coverage(principalOf(request).tenant));
}

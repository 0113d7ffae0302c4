/**
 * The HTTP ingest source: Vigil's JSON/NDJSON endpoint, Splunk HEC and Elasticsearch `_bulk`,
 * each in its own fastify scope so each answers errors in its own protocol's shape. The
 * server (`src/api/http-server.ts`) owns the listener, authentication and the API routes.
 */
import type { FastifyInstance } from 'fastify';
import { elasticRoutes } from './elastic-compat-routes.js';
import { hecRoutes, type HecRouteOptions } from './hec-routes.js';
import { ingestRoutes } from './ingest-routes.js';
import type { IngestContext } from './ingest-context.js';

export async function registerIngestRoutes(app: FastifyInstance, ctx: IngestContext, options: HecRouteOptions = {}): Promise<void> {
  await app.register(async (scope) => ingestRoutes(scope, ctx));
  await app.register(async (scope) => hecRoutes(scope, ctx, options));
  await app.register(async (scope) => elasticRoutes(scope, ctx));
}

export { DEFAULT_MAX_FIELDS_PER_EVENT, type IngestContext, type IngestLimits } from './ingest-context.js';
export type { RecordMapping, MappedRecord, MappingLimits, HecEnvelope, BulkMetadata, JsonObject } from './record-mapping.js';
export { accessOf, inputOf, principalOf, roleMayAccess, type Principal, type RouteAccess, type HttpInput } from './route-access.js';
export { errorBody, logRefusal, prepareRefusal, toVigilError, type ErrorBody } from './http-errors.js';
export { ConcatenatedJsonSplitter, JsonFramingError } from './concatenated-json.js';
export { bodyReader } from './body-reader.js';

/**
 * The Elasticsearch face of Vigil: `_bulk` plus the calls stock shippers make when they connect,
 * answered so their default Elasticsearch output works without disabling setup steps:
 *
 * - `GET|HEAD /`: every client reads the version (Vector's `api_version: auto`, Logstash's and
 *   the official clients' product check, beats' version check);
 * - `GET /_license`, `GET /_xpack`: beats' licenser and Logstash's license and ILM checks;
 * - `/_index_template/:name`, `/_template/:name`, `/_component_template/:name`,
 *   `/_ilm/policy/:name`, `/_ingest/pipeline/:id`, `/_data_stream/:name`: template, lifecycle
 *   and pipeline set-up by Filebeat/Winlogbeat (`setup.template`, `setup.ilm`, module
 *   pipelines) and Logstash (`manage_template`, `ilm_enabled`). HEAD and GET say "exists", PUT
 *   and POST acknowledge. Vigil keeps its own schema, so nothing is installed;
 * - `HEAD /:index`: Logstash's rollover-alias check; `GET /_cluster/health`: Vector's health
 *   check; `GET /_nodes[/...]`: node info (answered with no nodes: turn sniffing off).
 *
 * They need an ingest (or admin) token like `_bulk`: shippers send their credentials on every
 * call, and an unauthenticated probe could map what the server is.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bulkRoutes } from './bulk-routes.js';
import { elasticErrorBody, setElasticChallenge, setElasticHeaders, ELASTIC_VERSION, CLUSTER_NAME, CLUSTER_UUID } from './elastic-replies.js';
import { logRefusal, prepareRefusal, toVigilError } from './http-errors.js';
import type { IngestContext } from './ingest-context.js';

const config = { access: 'ingest', input: 'bulk' } as const;
const ACKNOWLEDGED = { acknowledged: true } as const;
/** Fixed dates keep the replies identical from call to call. */
const EPOCH_ISO = '2024-01-01T00:00:00.000Z';
const EPOCH_MS = Date.parse(EPOCH_ISO);

type Named = FastifyRequest<{ Params: { name: string } }>;

function info() {
  return { name: 'vigil', cluster_name: CLUSTER_NAME, cluster_uuid: CLUSTER_UUID, version: ELASTIC_VERSION, tagline: 'You Know, for Search' };
}

const LICENSE = {
  license: {
    status: 'active',
    uid: 'vigil-basic',
    type: 'basic',
    issue_date: EPOCH_ISO,
    issue_date_in_millis: EPOCH_MS,
    max_nodes: 1000,
    max_resource_units: null,
    issued_to: CLUSTER_NAME,
    issuer: 'elasticsearch',
    start_date_in_millis: -1,
  },
};

const XPACK = {
  build: { hash: ELASTIC_VERSION.build_hash, date: ELASTIC_VERSION.build_date },
  license: { uid: 'vigil-basic', type: 'basic', mode: 'basic', status: 'active' },
  features: {
    ilm: { available: true, enabled: true },
    security: { available: true, enabled: true },
    monitoring: { available: true, enabled: false },
  },
  tagline: 'You know, for X',
};

/** Registers `name` for GET, HEAD, PUT and POST with the given "exists" answer. */
function setUpProbe(app: FastifyInstance, url: string, exists: (name: string) => unknown): void {
  app.route({ method: ['GET', 'HEAD'], url, config, handler: async (request: Named) => exists(request.params.name) });
  app.route({ method: ['PUT', 'POST'], url, config, handler: async () => ACKNOWLEDGED });
}

export async function elasticRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  app.addHook('onRequest', (_request, reply, done) => {
    setElasticHeaders(reply);
    done();
  });
  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const vigilError = toVigilError(error, request, ctx.metrics);
    prepareRefusal(reply, request, vigilError);
    logRefusal(ctx.log, request, vigilError);
    setElasticHeaders(reply);
    if (vigilError.status === 401) setElasticChallenge(reply);
    // Not returned: see the error handler in src/api/http-server.ts.
    reply.status(vigilError.status).send(elasticErrorBody(vigilError));
  });

  await bulkRoutes(app, ctx);

  app.get('/', { config }, async () => info());
  app.get('/_license', { config }, async () => LICENSE);
  app.get('/_xpack', { config }, async () => XPACK);
  app.get('/_cluster/health', { config }, async () => ({
    cluster_name: CLUSTER_NAME,
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 1,
    active_shards: 1,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    active_shards_percent_as_number: 100,
  }));
  const nodes = async () => ({ _nodes: { total: 0, successful: 0, failed: 0 }, cluster_name: CLUSTER_NAME, nodes: {} });
  app.get('/_nodes', { config }, nodes);
  app.get('/_nodes/*', { config }, nodes);

  setUpProbe(app, '/_index_template/:name', (name) => ({
    index_templates: [{ name, index_template: { index_patterns: [`${name}*`], composed_of: [], template: {}, data_stream: {} } }],
  }));
  setUpProbe(app, '/_template/:name', (name) => ({ [name]: { order: 0, index_patterns: [`${name}*`], settings: {}, mappings: {}, aliases: {} } }));
  setUpProbe(app, '/_component_template/:name', (name) => ({ component_templates: [{ name, component_template: { template: {} } }] }));
  setUpProbe(app, '/_ilm/policy/:name', (name) => ({
    [name]: { version: 1, modified_date: EPOCH_ISO, policy: { phases: { hot: { min_age: '0ms', actions: {} } } } },
  }));
  setUpProbe(app, '/_ingest/pipeline/:name', (name) => ({ [name]: { description: 'accepted by Vigil; pipelines are not run', processors: [] } }));
  setUpProbe(app, '/_data_stream/:name', (name) => ({
    data_streams: [{ name, timestamp_field: { name: '@timestamp' }, indices: [], generation: 1, status: 'GREEN', template: name }],
  }));
  app.head('/:name', { config }, async () => '');
}

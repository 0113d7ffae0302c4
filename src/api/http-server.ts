/**
 * Vigil's HTTP server: the ingest inputs (JSON/NDJSON, Splunk HEC, Elasticsearch `_bulk`) and
 * the API (health, metrics, search, tokens) on one listener.
 *
 * Bodies: fastify's own parsers refuse what shippers send (concatenated JSON, NDJSON, gzip),
 * so every content type is read as a raw Buffer, capped at `maxBodyBytes` (413), and each
 * route decodes it; a JSON body whose shape is refused stops being read at once
 * (src/sources/http/body-reader.ts). Bodies are read only after the auth hook has accepted the
 * token.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { EventSink } from '../core/source.js';
import type { Store } from '../core/store.js';
import type { Metrics } from '../core/metrics.js';
import { VigilError } from '../core/errors.js';
import { jsonRecordMapping } from '../parsers/json/index.js';
import {
  bodyReader,
  DEFAULT_MAX_FIELDS_PER_EVENT,
  errorBody,
  logRefusal,
  prepareRefusal,
  registerIngestRoutes,
  toVigilError,
  type IngestContext,
  type RecordMapping,
} from '../sources/http/index.js';
import { installAuthHook } from './auth/auth-hook.js';
import { TokenCache, type TokenCacheOptions } from './auth/token-cache.js';
import { AccountMetrics } from './auth/account-metrics.js';
import { LoginRateLimiter, type LoginLimits } from './auth/login-rate-limit.js';
import { PasswordHasher, type PasswordHasherOptions } from './auth/password-hash.js';
import { Sessions } from './auth/sessions.js';
import { UserAccounts } from './auth/user-accounts.js';
import { AuditTrail } from './audit/audit-trail.js';
import { auditDetail, installAuditHook } from './audit/audit-hook.js';
import { sessionRoutes } from './session-routes.js';
import { userRoutes } from './user-routes.js';
import { auditRoutes } from './audit-routes.js';
import { healthRoutes, type HealthCheck } from './health-routes.js';
import { DEFAULT_TIMEOUTS, loadTls, parseListen, serverFactory, type HttpTimeouts, type TlsOptions } from './http-listener.js';
import { searchRoutes } from './search-routes.js';
import { alertRoutes } from './alert-routes.js';
import { AlertTriage } from '../alerts/alert-triage.js';
import { AlertFeed } from '../alerts/alert-feed.js';
import { alertStreamRoutes, type AlertStreamOptions } from './alert-stream-routes.js';
import { coverageRoutes, type CoverageProvider } from './coverage-routes.js';
import { responseRoutes, type ResponseDesk } from './response-routes.js';
import { caseRoutes } from './case-routes.js';
import { historyRoutes, type RetentionEnforcer } from './history-routes.js';
import { tokenRoutes } from './token-routes.js';
import { ruleRoutes } from './rule-routes.js';
import type { RuleCatalog } from '../detect/rule-catalog.js';
import { fileImportRoutes } from '../sources/file/file-import-routes.js';
import type { TimeZone } from '../parsers/syslog/syslog-parser.js';
import { consoleConstraint, consoleRoutes, type ConsoleRouteOptions } from './console-routes.js';
import { installResponseHeaders } from './response-headers.js';
import { overviewRoutes } from './overview-routes.js';
import { settingsRoutes } from './settings-routes.js';
import type { NotificationsConfig } from '../actions/notify/notify-config.js';
import type { ConfiguredInput } from './source-health.js';
import type { RiskEntity } from '../alerts/risk-entities.js';

export interface HttpServerLimits {
  readonly maxBodyBytes: number;
  readonly maxInflatedBytes: number;
  readonly maxEventBytes: number;
  readonly maxJsonDepth: number;
  /** Default 1024. */
  readonly maxFieldsPerEvent?: number;
}

/** Console accounts and sessions (docs/accounts.md); every field has a default. */
export interface AccountsOptions {
  /** A session unused this long ends (default 8 h). */
  readonly sessionIdleMs?: number;
  /** A session ends this long after login (default 24 h). */
  readonly sessionLifetimeMs?: number;
  readonly login?: LoginLimits;
  /** Origins allowed besides the request's own host, for a reverse proxy that rewrites Host. */
  readonly allowedOrigins?: readonly string[];
  /** `Secure` on the session cookie; default: when the listener has TLS. */
  readonly secureCookie?: boolean;
  /** `<data>/initial-admin-password`, removed once that password is changed. */
  readonly initialPasswordFile?: string;
  readonly hasher?: PasswordHasherOptions;
}

export interface HttpServerOptions {
  /** `HOST:PORT`; port 0 picks a free port (see `url`). */
  readonly listen: string;
  readonly tls?: TlsOptions | undefined;
  /** The configured default tenant. Requests always take the tenant of their token. */
  readonly tenant: string;
  readonly limits: HttpServerLimits;
  readonly sink: EventSink;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log?: Logger | undefined;
  readonly health?: HealthCheck | undefined;
  readonly timeouts?: Partial<HttpTimeouts> | undefined;
  readonly tokenCache?: TokenCacheOptions | undefined;
  /** The record parser; the JSON parser (`src/parsers/json`) by default. */
  readonly mapping?: RecordMapping | undefined;
  /** Alert triage (moves, history); by default over the store, without an intake to tell of closures. */
  readonly triage?: AlertTriage | undefined;
  /** Called after a suppression of the tenant is added or deleted (the intake re-reads them). */
  readonly suppressionsChanged?: ((tenant: string) => Promise<void>) | undefined;
  /** Automated response (runs, approvals): the engine, or the detect roles' over NATS; absent: none configured. */
  readonly response?: ResponseDesk | undefined;
  /** Detection coverage of a tenant's data (`vigil coverage` while a server runs); absent: no route. */
  readonly coverage?: CoverageProvider | undefined;
  /** Enforces retention on demand (`POST /api/v1/retention/run`); absent: that route answers 404. */
  readonly retention?: RetentionEnforcer | undefined;
  /** The live rules (list, switch, hunt, import); absent: no rule routes but the figures. */
  readonly rules?: RuleCatalog | undefined;
  readonly accounts?: AccountsOptions | undefined;
  /** File import through the server (`vigil ingest` while a server runs). */
  readonly fileImport?: { readonly maxLineBytes: number; readonly zone?: TimeZone } | undefined;
  /**
   * Word of alert changes for the console's live queue (`GET /api/v1/alerts/stream`). The intake
   * and the triage given here should publish to it; absent, the server has its own, told by its
   * default triage only.
   */
  readonly alertFeed?: AlertFeed | undefined;
  /** Bounds of the alert stream (tests shorten the heartbeat). */
  readonly alertStream?: Omit<AlertStreamOptions, 'feed' | 'metrics'> | undefined;
  /** Inputs other than this listener's own (syslog listeners, followed files), for the sources page. */
  readonly inputs?: (() => readonly ConfiguredInput[]) | undefined;
  /** The tenant's entities most at risk now (the intake's risk ledger), for the overview. */
  readonly risk?: ((tenant: string, limit: number) => readonly RiskEntity[] | Promise<readonly RiskEntity[]>) | undefined;
  /** The `notifications:` section as parsed, shown (secrets redacted) in the console's settings. */
  readonly notifications?: NotificationsConfig | undefined;
  /** The web console (`http.console`): on by default, from `ui/dist` unless `root` says otherwise; false: off. */
  readonly console?: false | ConsoleRouteOptions | undefined;
  /**
   * Which routes this listener serves besides `/healthz` and `/metrics`: the API and console,
   * the ingest routes, or both (the default). A scale-out role serves only its own.
   */
  readonly surface?: HttpSurface | undefined;
}

export interface HttpSurface {
  /** Search, alerts, cases, accounts, settings, the console… */
  readonly api: boolean;
  /** `/api/v1/ingest`, Splunk HEC, Elasticsearch `_bulk`, `/api/v1/import`. */
  readonly ingest: boolean;
  /** Said when a request for the missing surface arrives (which role to send it to). */
  readonly elsewhere?: string | undefined;
}

const INGEST_PATH = /^\/(api\/v1\/(ingest|import)|services\/collector|_bulk|[^/]+\/_bulk)(\/|$)/;

export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly access: string;
  /** Router constraints: `{console: 'html'}` on the console's routes (console-routes.ts). */
  readonly constraints?: Readonly<Record<string, string>> | undefined;
}

export interface HttpServer {
  /** `http://host:port` or `https://…`, with the port actually bound. */
  readonly url: string;
  /** Every route registered, for audits and the route-by-route auth test. */
  readonly routes: readonly RouteInfo[];
  close(): Promise<void>;
}

/**
 * Access logs at debug (at thousands of ingest calls a second, info would drown the log), and
 * without the query string: a client may put a token there even though it is refused. The
 * context is built only when debug is on: `request.ip` is a getpeername system call, about
 * 2% of the server's CPU under a flood of refused requests.
 */
class QuietLogController extends LogController {
  constructor(private readonly log: Logger) {
    super();
  }
  override incomingRequest(request: FastifyRequest): void {
    if (!this.log.isLevelEnabled('debug')) return;
    request.log.debug({ method: request.method, path: request.url.split('?')[0], remote: request.ip }, 'incoming request');
  }
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.log.isLevelEnabled('debug')) return;
    const context = { method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    reply.log.debug(error ? { ...context, err: error } : context, 'request completed');
  }
}

const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-splunk-request-channel"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'password',
  'token',
  'secret',
];

function httpLogger(log: Logger | undefined): Logger | undefined {
  return log?.child({ component: 'http' }, { redact: { paths: REDACT, censor: '[redacted]' } });
}

function listenUrl(app: FastifyInstance, tls: boolean): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new VigilError('internal', 'the HTTP server is not listening on a TCP port');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port } = parseListen(options.listen);
  const tls = options.tls ? await loadTls(options.tls) : undefined;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const log = httpLogger(options.log);
  const app: FastifyInstance = Fastify({
    serverFactory: serverFactory(tls, timeouts, {
      onTlsRefused: () => options.metrics.drop('http', 'connection-error'),
      onEvicted: (state) => options.metrics.connectionsEvicted.inc({ input: 'http', state }),
    }),
    bodyLimit: options.limits.maxBodyBytes,
    ...(log
      ? {
          loggerInstance: log as FastifyBaseLogger,
          logController: new QuietLogController(log),
          // A child logger per request (for its request id) only when debug lines would use it:
          // request logs are all at debug, and a pino child costs every request, refused ones too.
          childLoggerFactory: (logger, bindings, childOptions) => (log.isLevelEnabled('debug') ? logger.child(bindings, childOptions) : logger),
        }
      : { logger: false }),
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const constraints = route.constraints as Record<string, string> | undefined;
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, access: route.config?.access ?? 'admin', ...(constraints && Object.keys(constraints).length > 0 ? { constraints } : {}) });
    }
  });
  app.addConstraintStrategy(consoleConstraint);
  installResponseHeaders(app, { tls: tls !== undefined });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', bodyReader(options.limits.maxJsonDepth));

  const tokens = new TokenCache(options.store, options.tokenCache);
  const accountOptions = options.accounts ?? {};
  const accountMetrics = new AccountMetrics(options.metrics.registry);
  const secureCookie = accountOptions.secureCookie ?? tls !== undefined;
  const allowedOrigins = accountOptions.allowedOrigins ?? [];
  const sessions = new Sessions(options.store, {
    ...(accountOptions.sessionIdleMs === undefined ? {} : { idleMs: accountOptions.sessionIdleMs }),
    ...(accountOptions.sessionLifetimeMs === undefined ? {} : { lifetimeMs: accountOptions.sessionLifetimeMs }),
    onError: (message, error) => log?.warn({ err: error }, `sessions: ${message}`),
  });
  const hasher = new PasswordHasher(accountOptions.hasher);
  const accounts = new UserAccounts(options.store, hasher, sessions);
  const trail = new AuditTrail(options.store, { metrics: accountMetrics, log });
  installAuthHook(app, { tokens, sessions, metrics: options.metrics, accountMetrics, secureCookie, allowedOrigins });
  installAuditHook(app, trail);

  app.setErrorHandler((error, request, reply) => {
    const vigilError = toVigilError(error, request, options.metrics);
    if (request.routeOptions.config?.audit !== undefined) auditDetail(request, { error: vigilError.code });
    prepareRefusal(reply, request, vigilError);
    logRefusal(log, request, vigilError);
    // Not returned: a returned reply is awaited as a thenable, which costs end-of-stream
    // listeners on every refusal (measured under a flood of bad tokens).
    reply.status(vigilError.status).send(errorBody(vigilError));
  });
  const surface: HttpSurface = options.surface ?? { api: true, ingest: true };
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (surface.elsewhere !== undefined && (INGEST_PATH.test(path) ? !surface.ingest : !surface.api)) {
      return reply.status(404).send(errorBody(new VigilError('not-found', `no route ${request.method} ${path} here: ${surface.elsewhere}`)));
    }
    return reply.status(404).send(errorBody(new VigilError('not-found', `no route ${request.method} ${path}; see docs/api.md`)));
  });

  const ctx: IngestContext = {
    sink: options.sink,
    metrics: options.metrics,
    mapping: options.mapping ?? jsonRecordMapping,
    log,
    limits: { ...options.limits, maxFieldsPerEvent: options.limits.maxFieldsPerEvent ?? DEFAULT_MAX_FIELDS_PER_EVENT },
  };
  await app.register(async (scope) => healthRoutes(scope, { metrics: options.metrics, health: options.health }));
  let url = '';
  if (surface.api) {
    await app.register(async (scope) => searchRoutes(scope, { store: options.store }));
    const alertFeed = options.alertFeed ?? new AlertFeed(log);
    const triage = options.triage ?? new AlertTriage(options.store, undefined, alertFeed);
    const suppressionsChanged = options.suppressionsChanged;
    await app.register(async (scope) => alertRoutes(scope, { store: options.store, triage, ...(suppressionsChanged ? { suppressionsChanged } : {}) }));
    await app.register(async (scope) => alertStreamRoutes(scope, { ...options.alertStream, feed: alertFeed, metrics: options.metrics }));
    await app.register(async (scope) => caseRoutes(scope, { store: options.store }));
    const inputs = (): ConfiguredInput[] => [
      // This listener's own ingest routes, then what the server says it runs.
      ...(surface.ingest
        ? [
            { input: 'http', kind: 'http-ingest', listen: url },
            { input: 'hec', kind: 'splunk-hec', listen: url },
            { input: 'bulk', kind: 'elastic-bulk', listen: url },
          ]
        : []),
      ...(options.inputs?.() ?? []),
    ];
    await app.register(async (scope) => overviewRoutes(scope, { store: options.store, metrics: options.metrics, inputs, risk: options.risk }));
    await app.register(async (scope) => historyRoutes(scope, { store: options.store, retention: options.retention }));
    const response = options.response;
    await app.register(async (scope) => responseRoutes(scope, { response }));
    const coverage = options.coverage;
    if (coverage) await app.register(async (scope) => coverageRoutes(scope, { coverage }));
    const rules = options.rules;
    if (rules) await app.register(async (scope) => ruleRoutes(scope, { catalog: rules, store: options.store }));
    await app.register(async (scope) => tokenRoutes(scope, { store: options.store, tokens }));
    await app.register(async (scope) =>
      sessionRoutes(scope, {
        store: options.store,
        sessions,
        accounts,
        hasher,
        limiter: new LoginRateLimiter(accountOptions.login),
        trail,
        metrics: accountMetrics,
        secureCookie,
        allowedOrigins,
        defaultTenant: options.tenant,
        initialPasswordFile: accountOptions.initialPasswordFile,
      }),
    );
    await app.register(async (scope) => userRoutes(scope, { accounts }));
    await app.register(async (scope) => auditRoutes(scope, { store: options.store, trail }));
    await app.register(async (scope) => settingsRoutes(scope, { notifications: options.notifications, playbooks: () => response?.playbooks ?? [] }));
  }
  if (surface.ingest) {
    await registerIngestRoutes(app, ctx, { health: options.health });
    await app.register(async (scope) => fileImportRoutes(scope, ctx, options.fileImport ?? { maxLineBytes: options.limits.maxEventBytes }));
  }
  const consoleOptions = options.console;
  if (surface.api && consoleOptions !== false) await app.register(async (scope) => void (await consoleRoutes(scope, consoleOptions ?? {})));

  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    await trail.close();
    throw new VigilError('config-invalid', `cannot listen on ${options.listen}: ${(error as Error).message}; pick a free port in http.listen`, {
      where: 'vigil.yaml: http.listen',
      cause: error,
    });
  }
  url = listenUrl(app, tls !== undefined);
  log?.info({ url, tls: tls !== undefined, mutualTls: tls?.requireClientCert ?? false }, 'http: listening');
  return {
    url,
    routes,
    close: async () => {
      await app.close();
      // After the last request: its audit entry is written before the store closes.
      await trail.close();
    },
  };
}

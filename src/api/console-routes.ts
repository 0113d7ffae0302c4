/**
 * The web console on the API's listener: `GET /` and every console path (`/alerts`, `/search/…`)
 * answer the single-page app's index.html to a browser, `/assets/*` the hashed bundles it loads.
 *
 * `GET /` is also the Elasticsearch ping every shipper sends (elastic-compat-routes.ts), and that
 * answer needs an ingest token. The two are told apart by the router, not by a handler: a
 * find-my-way constraint derives `html` from a request that lists `text/html` in Accept (what a
 * browser navigating sends; shippers and API clients never do) for a path outside the API, ingest
 * and asset prefixes, and only the console's routes carry that constraint. So the auth hook keeps
 * deciding access from route config alone: the console's routes are public, the ping still asks
 * for a token, and an API path stays an API path whatever a request's Accept says.
 *
 * Every console answer carries a strict Content-Security-Policy (no inline script or style, no
 * eval, no framing, no plugins), nosniff, no referrer and DENY framing: the console shows data
 * an attacker wrote, so a slip in rendering must still not run anything.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { VigilError } from '../core/errors.js';
import { DEFAULT_CONSOLE_ROOT, loadConsoleBuild, type ConsoleBuild, type ConsoleFile } from './console-files.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** Paths that are never the console, whatever the request accepts. */
const NOT_CONSOLE = /^\/(?:api|services|healthz|metrics|assets)(?:[/?#]|$)|^\/_/;

/** True when the Accept header lists text/html with a non-zero quality. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept.length > 4096) return false;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'text/html') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
type RouteHandler = ReturnType<ReturnType<ConstraintStrategy['storage']>['get']>;

/** The router constraint: `html` for a browser asking for a console path. */
export const consoleConstraint: ConstraintStrategy = {
  name: 'console',
  storage() {
    const handlers = new Map<unknown, RouteHandler>();
    return {
      get: (value) => handlers.get(value) ?? null,
      set: (value, handler) => void handlers.set(value, handler),
    };
  },
  deriveConstraint(request: IncomingMessage): string | undefined {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const path = request.url ?? '/';
    if (NOT_CONSOLE.test(path)) return undefined;
    return acceptsHtml(request.headers.accept) ? 'html' : undefined;
  },
  // Unconstrained routes (the Elasticsearch ping) still match a request that derived `html`.
  mustMatchWhenDerived: false,
};

const HTML = { console: 'html' } as const;
const PUBLIC = { access: 'public' } as const;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The index names the current bundles: a browser must ask again each time. */
const REVALIDATE = 'no-cache';

/** Shown when `ui/dist` is missing: plain HTML, no script or style, so the CSP holds here too. */
const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Vigil: console not built</title></head>
<body>
<h1>The Vigil console has not been built</h1>
<p>This server found no <code>ui/dist/index.html</code>. Build the console with</p>
<pre>npm run build:ui</pre>
<p>in the Vigil folder, then restart <code>vigil serve</code>. The API and ingest work without it (see docs/api.md);
set <code>http.console: false</code> in vigil.yaml to turn the console off.</p>
</body>
</html>
`;

export interface ConsoleRouteOptions {
  /** The built UI; `ui/dist` of this checkout by default. */
  readonly root?: string | undefined;
}

function send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile, cacheControl: string): FastifyReply {
  void reply.header('content-type', file.type).header('cache-control', cacheControl).header('vary', 'accept, accept-encoding');
  const gzip = file.gzip !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (gzip) void reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? file.gzip : file.body);
}

/** Registers the console routes; call `app.addConstraintStrategy(consoleConstraint)` on the root first. */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleRouteOptions = {}): Promise<ConsoleBuild> {
  const build = loadConsoleBuild(options.root ?? DEFAULT_CONSOLE_ROOT);

  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(CONSOLE_HEADERS);
  });

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    if (build.index === undefined) {
      return reply.status(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('vary', 'accept').send(NOT_BUILT);
    }
    return send(request, reply, build.index, REVALIDATE);
  };
  app.get('/', { config: PUBLIC, constraints: HTML }, page);
  // Client-side routes of the app: the router derived `html` only outside the reserved prefixes.
  // GET only: `HEAD /<name>` is Logstash's index-exists probe (elastic-compat-routes.ts).
  app.get('/*', { config: PUBLIC, constraints: HTML, exposeHeadRoute: false }, page);

  app.get('/assets/*', { config: PUBLIC }, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = build.assets.get(name);
    if (file === undefined) throw new VigilError('not-found', 'no such console asset; reload the page (the console may have been rebuilt)', { where: 'path' });
    return send(request, reply, file, IMMUTABLE);
  });

  // favicon.ico and friends from the UI's public folder; names that could shadow a route are skipped.
  for (const [name, file] of build.topFiles) {
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$/.test(name)) continue;
    app.get(`/${name}`, { config: PUBLIC }, async (request, reply) => send(request, reply, file, REVALIDATE));
  }
  return build;
}

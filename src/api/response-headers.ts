/**
 * Headers on every answer: `nosniff`, so no browser ever reads an answer as another type than
 * it says (a JSON body full of event text must never become HTML or script), and `no-store` on
 * the API's answers, which hold event data and must not linger in a browser or proxy cache.
 * Routes that choose their own caching (the console's assets, downloads) keep it. Under TLS,
 * `Strict-Transport-Security` too: once a browser has met the console over HTTPS it never
 * sends the session cookie over plain HTTP to this host (a year; no subdomains or preload, which
 * would bind hosts the operator did not choose).
 */
import type { FastifyInstance } from 'fastify';

export function installResponseHeaders(app: FastifyInstance, options: { readonly tls: boolean } = { tls: false }): void {
  // A callback hook, not an async one: it runs on every answer, and a promise per answer is
  // measurable under a flood of refused requests.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('x-content-type-options')) void reply.header('x-content-type-options', 'nosniff');
    if (options.tls) void reply.header('strict-transport-security', 'max-age=31536000');
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}

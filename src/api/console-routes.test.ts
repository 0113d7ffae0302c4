/**
 * The console on the API listener: negotiation at `/` (browsers get the app, shippers keep the
 * Elasticsearch ping and its token), the app's client-side paths, assets with their types and
 * caching, the security headers, traversal refused, and the page shown when the UI is not built.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bearer, startTestServer, type TestServer } from './test-server.test-support.js';
import { CONTENT_SECURITY_POLICY, acceptsHtml } from './console-routes.js';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('vigil '.repeat(500))});`;
const SECRET = 'outside-the-build-do-not-serve';

let dir: string;
let root: string;
let t: TestServer;

/** A request exactly as written: fetch would normalise `..` away before sending. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end();
  });
}

function assertConsoleHeaders(headers: Headers | http.IncomingHttpHeaders, label: string): void {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined));
  assert.equal(get('content-security-policy'), CONTENT_SECURITY_POLICY, label);
  assert.equal(get('x-content-type-options'), 'nosniff', label);
  assert.equal(get('referrer-policy'), 'no-referrer', label);
  assert.equal(get('x-frame-options'), 'DENY', label);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-console-'));
  root = join(dir, 'dist');
  await mkdir(join(root, 'assets', 'fonts'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'app-1a2b.js'), SCRIPT);
  await writeFile(join(root, 'assets', 'app-1a2b.css'), 'body{color:#111}');
  await writeFile(join(root, 'assets', 'fonts', 'inter.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  await writeFile(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'linked.txt'));
  t = await startTestServer({ console: { root } });
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET / negotiation', () => {
  test('a browser gets the console without a token, with the security headers', async () => {
    const response = await fetch(`${t.url}/`, { headers: { accept: BROWSER } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.match(response.headers.get('vary') ?? '', /accept/);
    assertConsoleHeaders(response.headers, 'GET /');
    assert.equal(await response.text(), INDEX);
  });

  test('a shipper keeps the Elasticsearch ping, which still needs a token', async () => {
    const anonymous = await fetch(`${t.url}/`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-security-policy'), null, 'not a console answer');
    const ping = await fetch(`${t.url}/`, { headers: { ...bearer(t.tokens.ingest), accept: 'application/json' } });
    assert.equal(ping.status, 200);
    assert.equal(ping.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(((await ping.json()) as { version: { number: string } }).version.number, '8.17.0');
    // A client that accepts anything is not a browser asking for a page.
    const star = await fetch(`${t.url}/`, { headers: { ...bearer(t.tokens.ingest), accept: '*/*' } });
    assert.equal(star.headers.get('x-elastic-product'), 'Elasticsearch');
    await star.arrayBuffer();
  });

  test('HEAD / answers a browser from the console and a shipper from Elasticsearch', async () => {
    const page = await fetch(`${t.url}/`, { method: 'HEAD', headers: { accept: BROWSER } });
    assert.equal(page.status, 200);
    assertConsoleHeaders(page.headers, 'HEAD /');
    const ping = await fetch(`${t.url}/`, { method: 'HEAD', headers: bearer(t.tokens.ingest) });
    assert.equal(ping.status, 200);
    assert.equal(ping.headers.get('x-elastic-product'), 'Elasticsearch');
  });

  test('text/html refused with q=0 is not a browser', () => {
    assert.equal(acceptsHtml('text/html;q=0, application/json'), false);
    assert.equal(acceptsHtml('TEXT/HTML'), true);
    assert.equal(acceptsHtml('application/json'), false);
    assert.equal(acceptsHtml(undefined), false);
  });
});

describe('client-side paths', () => {
  test('console paths answer index.html to a browser', async () => {
    for (const path of ['/alerts', '/alerts/0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b', '/search?q=host.name%3Aweb', '/entities/host.name/web-01', '/settings/notifications']) {
      const response = await fetch(`${t.url}${path}`, { headers: { accept: BROWSER } });
      assert.equal(response.status, 200, path);
      assertConsoleHeaders(response.headers, path);
      assert.equal(await response.text(), INDEX, path);
    }
  });

  test('the same paths without text/html are unknown routes, which need a token to say so', async () => {
    const response = await fetch(`${t.url}/alerts`, { headers: { accept: 'application/json' } });
    assert.equal(response.status, 401);
    await response.arrayBuffer();
  });

  test('API, ingest and Elasticsearch paths stay themselves for a browser', async () => {
    const api = await fetch(`${t.url}/api/v1/alerts`, { headers: { accept: BROWSER } });
    assert.equal(api.status, 401);
    assert.match(api.headers.get('content-type') ?? '', /application\/json/);
    await api.arrayBuffer();
    const unknownApi = await fetch(`${t.url}/api/v1/no-such-thing`, { headers: { accept: BROWSER } });
    assert.equal(unknownApi.status, 401, 'an unknown API path does not fall back to the app');
    await unknownApi.arrayBuffer();
    const license = await fetch(`${t.url}/_license`, { headers: { accept: BROWSER } });
    assert.equal(license.status, 401);
    await license.arrayBuffer();
    const health = await fetch(`${t.url}/healthz`, { headers: { accept: BROWSER } });
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const metrics = await fetch(`${t.url}/metrics`, { headers: { accept: BROWSER } });
    assert.equal(metrics.status, 401);
    await metrics.arrayBuffer();
  });
});

describe('assets', () => {
  test('are public, typed, immutable and carry the security headers', async () => {
    const js = await fetch(`${t.url}/assets/app-1a2b.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assertConsoleHeaders(js.headers, 'asset');
    assert.equal(await js.text(), SCRIPT);
    const css = await fetch(`${t.url}/assets/app-1a2b.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    await css.arrayBuffer();
    const font = await fetch(`${t.url}/assets/fonts/inter.woff2`);
    assert.equal(font.headers.get('content-type'), 'font/woff2');
    assert.deepEqual([...new Uint8Array(await font.arrayBuffer())], [0x77, 0x4f, 0x46, 0x32]);
    const icon = await fetch(`${t.url}/favicon.svg`);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assertConsoleHeaders(icon.headers, 'favicon');
    await icon.arrayBuffer();
  });

  test('text assets go gzipped to clients that accept it', async () => {
    const response = await raw('/assets/app-1a2b.js', { 'accept-encoding': 'gzip, deflate' });
    assert.equal(response.headers['content-encoding'], 'gzip');
    const again = await new Promise<Buffer>((resolve, reject) => {
      const url = new URL(t.url);
      http
        .get({ host: url.hostname, port: url.port, path: '/assets/app-1a2b.js', headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
    assert.equal(gunzipSync(again).toString('utf8'), SCRIPT);
  });

  test('an unknown asset is a public 404 with the uniform error body', async () => {
    const response = await fetch(`${t.url}/assets/gone-9z9z.js`);
    assert.equal(response.status, 404);
    assertConsoleHeaders(response.headers, 'asset 404');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'not-found');
  });

  test('traversal out of the build is refused however it is spelled', async () => {
    const attempts = [
      '/assets/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/%252e%252e/secret.txt',
      '/assets//etc/passwd',
      '/assets/%2fetc%2fpasswd',
      '/assets/linked.txt',
      '/assets/fonts/../../index.html',
      '/assets/fonts',
      '/assets/',
    ];
    for (const path of attempts) {
      const response = await raw(path);
      assert.ok(!response.body.includes(SECRET), `${path} leaked the file outside the build`);
      assert.ok(!response.body.includes('"name": "vigil"'), `${path} leaked package.json`);
      assert.ok(!response.body.includes('root:'), `${path} leaked /etc/passwd`);
      assert.equal(response.status, 404, path);
    }
    // With a browser's Accept, a traversal path is just another client-side path: the index.
    const page = await raw('/..%2f..%2fpackage.json', { accept: BROWSER });
    assert.equal(page.body, INDEX);
  });
});

describe('API answers', () => {
  test('carry nosniff and no-store, refusals included', async () => {
    const ok = await fetch(`${t.url}/api/v1/alerts`, { headers: bearer(t.tokens.analyst) });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    await ok.arrayBuffer();
    const refused = await fetch(`${t.url}/api/v1/alerts`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(refused.headers.get('cache-control'), 'no-store');
    await refused.arrayBuffer();
  });
});

describe('without a built console', () => {
  test('/ tells a browser to run npm run build:ui', async () => {
    const empty = await startTestServer({ console: { root: join(dir, 'not-built') } });
    try {
      const response = await fetch(`${empty.url}/alerts`, { headers: { accept: BROWSER } });
      assert.equal(response.status, 503);
      assertConsoleHeaders(response.headers, 'not built');
      const text = await response.text();
      assert.match(text, /npm run build:ui/);
      assert.doesNotMatch(text, /<script|style=/);
      const asset = await fetch(`${empty.url}/assets/app-1a2b.js`);
      assert.equal(asset.status, 404);
      await asset.arrayBuffer();
    } finally {
      await empty.close();
    }
  });

  test('http.console false leaves / to the Elasticsearch ping', async () => {
    const off = await startTestServer({ console: false });
    try {
      const response = await fetch(`${off.url}/`, { headers: { accept: BROWSER } });
      assert.equal(response.status, 401);
      await response.arrayBuffer();
      assert.ok(!off.server.routes.some((r) => r.url === '/assets/*'));
    } finally {
      await off.close();
    }
  });
});

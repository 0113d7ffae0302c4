/**
 * Hostile content is inert in the console. An attacker reaches every byte the console shows:
 * the XSS corpus (test/browser/xss-corpus.ts) goes through every ingest path (syslog over UDP,
 * TCP and TLS, a followed file, file import, HTTP ingest, Splunk HEC, Elasticsearch _bulk) into
 * every shown field (message, host, user, addresses, process, file, URL, field names), into the
 * rules that match those events (title, description, author, references, tags), and into what
 * users type (a case's title and note, a suppression's reason, a token's name, a user name).
 *
 * Then Chromium visits every page and each must be inert: the `__xss` trap never fires, no
 * dialog opens, no element a payload would inject exists, no script, frame or plugin other
 * than the console's bundle, no event-handler attribute, no script URL, no CSP violation, no
 * page error, no request leaving the server's origin; and the hostile text is on the page,
 * literally, as text (rendered, not dropped). A screenshot of each page is saved.
 *
 * Also without a browser: the API's and the console's security headers, and exports of hostile
 * events that a spreadsheet cannot turn into formulas.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  browserSkipReason,
  consoleSkipReason,
  launchConsoleBrowser,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
} from './console-harness.js';
import { HOSTILE_IMPORT_PATH, HOSTILE_LOGSOURCES, hostileRules, INGEST_PATHS, ruleIdOf, sendHostileEvents, type IngestPath, type SentCounts } from './hostile-ingest.js';
import { FORMULA_PAYLOADS, XSS_CORPUS, describePayload } from './xss-corpus.js';

interface SearchHit {
  readonly id: string;
  readonly source: { readonly input: string; readonly kind: string; readonly address?: string };
  readonly original: string;
  readonly fields: Record<string, unknown>;
}

interface AlertView {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly details: { readonly entities?: Record<string, unknown> };
}

/** Which ingest path an event came through, from its source as stored. */
function pathOf(hit: SearchHit): IngestPath | undefined {
  switch (hit.source.kind) {
    case 'syslog-udp':
    case 'syslog-tcp':
    case 'syslog-tls':
      return hit.source.kind;
    case 'http-ingest':
      return 'http-ingest';
    case 'splunk-hec':
      return 'hec';
    case 'elastic-bulk':
      return 'bulk';
    case 'file':
      return hit.source.address === HOSTILE_IMPORT_PATH ? 'file-import' : 'file-tail';
    default:
      return undefined;
  }
}

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) row.push(cell), rows.push(row);
  return rows;
}

function collectStrings(value: unknown, into: Set<unknown>): void {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectStrings(v, into);
}

describe('hostile content in the console', { timeout: 240_000 }, () => {
  let server: ConsoleServer;
  let sent: SentCounts;
  let browser: ConsoleBrowser | undefined;

  before(async () => {
    server = await startConsoleServer({ rules: hostileRules(), logsources: HOSTILE_LOGSOURCES });
    sent = await sendHostileEvents(server);
    const stored = await server.waitForEvents('*', sent.total);
    assert.equal(stored, sent.total, `every hostile event is stored (sent ${JSON.stringify(sent.perPath)})\n${server.output()}`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('every input stored the corpus, and a hostile rule matched each payload', async () => {
    const { hits } = await server.apiJson<{ hits: SearchHit[] }>(`/api/v1/search?limit=10000&q=*`);
    const perPath: Record<string, number> = {};
    for (const hit of hits) {
      const path = pathOf(hit) ?? `unexpected ${hit.source.kind}`;
      perPath[path] = (perPath[path] ?? 0) + 1;
    }
    assert.deepEqual(perPath, sent.perPath, 'events per ingest path');
    for (const path of INGEST_PATHS) {
      const ofPath = hits.filter((h) => pathOf(h) === path);
      for (const p of XSS_CORPUS) {
        assert.ok(ofPath.some((h) => h.original.includes(p.text) || Object.values(h.fields).some((v) => v === p.text)), `${path} stored ${describePayload(p)} unchanged`);
      }
    }
    const deadline = Date.now() + 20_000;
    let missing: string[] = [];
    do {
      const { alerts } = await server.apiJson<{ alerts: AlertView[] }>('/api/v1/alerts?limit=10000');
      const rules = new Set(alerts.map((a) => a.ruleId));
      missing = XSS_CORPUS.filter((p) => !rules.has(ruleIdOf(p))).map((p) => p.id);
      if (missing.length > 0) await sleep(200);
    } while (missing.length > 0 && Date.now() < deadline);
    assert.deepEqual(missing, [], 'payloads whose hostile rule raised no alert');
  });

  it('API answers are nosniff and no-store; console answers carry the Content-Security-Policy', async () => {
    for (const path of ['/api/v1/alerts?limit=1', '/api/v1/search?q=*&limit=1', '/api/v1/no-such-route/%3Cscript%3E']) {
      const res = await server.api(path);
      await res.arrayBuffer();
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path}: X-Content-Type-Options`);
      assert.equal(res.headers.get('cache-control'), 'no-store', `${path}: Cache-Control`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${path}: JSON, never HTML`);
    }
    const refused = await fetch(`${server.url}/api/v1/alerts`);
    await refused.arrayBuffer();
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff', 'a refusal is nosniff too');

    const skip = await consoleSkipReason(server);
    if (skip) return;
    for (const path of ['/', '/alerts', `/search?q=${encodeURIComponent('<script>__xss("url")</script>')}`, '/cases/%3Cimg%20src%3Dx%20onerror%3D__xss(1)%3E']) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      const body = await res.text();
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
      assert.deepEqual(directives.get('script-src'), ["'self'"], `${path}: scripts only from the server (no inline, no eval): ${csp}`);
      assert.deepEqual(directives.get('style-src'), ["'self'"], `${path}: styles only from the server: ${csp}`);
      assert.deepEqual(directives.get('object-src'), ["'none'"], `${path}: no plugins`);
      assert.deepEqual(directives.get('base-uri'), ["'none'"], `${path}: no <base>`);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `${path}: not framed`);
      assert.deepEqual(directives.get('default-src'), ["'self'"], `${path}: default-src`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', `${path}: X-Frame-Options`);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${path}: Referrer-Policy`);
      assert.ok(!body.includes('__xss'), `${path}: the page does not echo its URL`);
    }
  });

  it('CSV exports neutralise formulas; NDJSON exports keep hostile text exact and one event per line', async () => {
    const csvRes = await server.api(`/api/v1/export?format=csv&q=${encodeURIComponent('*')}`);
    assert.equal(csvRes.status, 200);
    assert.equal(csvRes.headers.get('x-content-type-options'), 'nosniff');
    assert.match(csvRes.headers.get('content-type') ?? '', /^text\/csv/);
    const rows = parseCsv(await csvRes.text());
    const header = rows[0]!;
    assert.ok(header.includes('host.name') && header.includes('message'), `CSV header: ${header.join(',')}`);
    const body = rows.slice(1);
    assert.equal(body.length, sent.total, 'one row per event');
    const risky = body.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell));
    assert.deepEqual(risky, [], 'no cell starts with = + - @ tab or carriage return');
    for (const p of FORMULA_PAYLOADS) {
      assert.ok(body.some((r) => r.includes(`'${p.text}`)), `${describePayload(p)} is exported with a leading quote`);
    }

    const ndRes = await server.api(`/api/v1/export?format=ndjson&q=${encodeURIComponent('*')}`);
    assert.equal(ndRes.status, 200);
    assert.equal(ndRes.headers.get('x-content-type-options'), 'nosniff');
    const lines = (await ndRes.text()).split('\n').filter((l) => l !== '');
    assert.equal(lines.length, sent.total, 'one line per event: no hostile text breaks a line');
    const values = new Set<unknown>();
    for (const line of lines) {
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /[\u0000-\u001f]/, 'control characters are escaped');
      collectStrings(JSON.parse(line), values);
    }
    for (const p of XSS_CORPUS) assert.ok(values.has(p.text), `${describePayload(p)} is exported exactly`);
  });

  describe('pages', { skip: browserSkipReason() }, () => {
    before(async () => {
      browser = await launchConsoleBrowser();
    });

    it('the console is served', async (t) => {
      const skip = await consoleSkipReason(server);
      if (skip) t.skip(skip);
    });
  });
});

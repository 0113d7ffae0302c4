import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEvent, type Event } from '../../core/event.js';
import type { AlertRecord } from '../../core/store.js';
import { parseLine } from '../../parsers/line/line-parser.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { IntelDetector } from './intel-detector.js';
import { IntelRetroHunter, narrowingTerm } from './intel-retro-hunt.js';

const DAY = 86_400_000;
const OPENSSH = ['loghub', 'OpenSSH_2k.log'];
const source = { input: 'test', kind: 'file' as const };

function eventOf(line: string, received: number, time?: number): Event {
  const p = parseLine(line, 'auto', received);
  return createEvent({ tenant: 'default', received, time: time ?? p.time ?? received, source, format: p.format, original: line, fields: p.fields, flags: p.flags });
}

describe('threat-intel retro-hunt over stored events', () => {
  let dir: string;
  let store: DuckDbStore;
  const now = Date.now();
  let sshFromWorst = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-retro-'));
    store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
    const events: Event[] = [];
    // Real sshd traffic, stored an hour ago with its times moved into the last day.
    const lines = corpusHas(...OPENSSH)
      ? readFileSync(corpusPath(...OPENSSH), 'utf8').split('\n').filter(Boolean)
      : ['Dec 10 10:54:29 LabSZ sshd[24873]: Failed password for root from 183.62.140.253 port 40284 ssh2'];
    for (const [i, line] of lines.entries()) {
      const e = eventOf(line, now - DAY, now - DAY + i * 1000);
      if (e.fields['source.ip'] === '183.62.140.253') sshFromWorst++;
      events.push(e);
    }
    const json = (o: object, time: number, received = now - DAY) => eventOf(JSON.stringify(o), received, time);
    events.push(
      json({ 'dns.question.name': 'cdn.evil-c2.example', 'source.ip': '10.0.0.7', 'host.name': 'pc7' }, now - 2 * DAY),
      json({ 'file.hash.sha256': 'a'.repeat(64), 'file.path': '/tmp/dropper', 'host.name': 'web1' }, now - 3 * DAY),
      json({ 'destination.ip': '198.51.100.77', 'source.ip': '10.0.0.8' }, now - 60 * DAY),
      json({ 'destination.ip': '203.0.113.45', 'source.ip': '10.0.0.9' }, now - 5 * DAY),
      // Stored after the indicators were loaded: live detection saw it, the hunt must not.
      json({ 'destination.ip': '198.51.100.99', 'source.ip': '10.0.0.10' }, now - DAY, now + DAY),
    );
    await store.appendEvents(events);
    await writeFile(
      join(dir, 'feed.txt'),
      ['183.62.140.253', 'evil-c2.example', 'a'.repeat(64), '198.51.100.77', '203.0.113.0/24', '198.51.100.99', '192.0.2.250'].join('\n') + '\n',
    );
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (stateFile: string) =>
    IntelDetector.open({
      paths: [join(dir, 'feed.txt')],
      defaultTtlDays: 0,
      reloadSeconds: 0,
      retro: new IntelRetroHunter({ history: store, tenants: async () => ['default'], lookbackDays: 30, stateFile }),
    });

  const retroAlerts = async () => (await store.listAlerts('default', 10_000)).filter((a) => a.details['retro'] === true);
  const observed = (alerts: readonly AlertRecord[]) => alerts.map((a) => String((a.details['indicator'] as { value: string }).value));

  it('alerts for every stored event that names a new indicator, within the lookback, once', async () => {
    const detector = await open(join(dir, 'hunted.json'));
    await detector.retroHunt;
    detector.close();
    const alerts = await retroAlerts();
    const byIndicator = new Map<string, number>();
    for (const v of observed(alerts)) byIndicator.set(v, (byIndicator.get(v) ?? 0) + 1);
    assert.equal(byIndicator.get('183.62.140.253'), sshFromWorst, 'every sshd event from the worst source');
    assert.equal(byIndicator.get('evil-c2.example'), 1, 'a subdomain in a DNS query');
    assert.equal(byIndicator.get('a'.repeat(64)), 1, 'a file hash');
    assert.equal(byIndicator.get('203.0.113.0/24'), 1, 'an address inside a listed network');
    assert.equal(byIndicator.get('198.51.100.77'), undefined, 'older than the 30-day lookback');
    assert.equal(byIndicator.get('198.51.100.99'), undefined, 'received after the load: live detection covered it');
    const a = alerts.find((x) => observed([x])[0] === 'evil-c2.example')!;
    assert.equal(a.ruleAuthor, 'Vigil');
    assert.equal(a.details['field'], 'dns.question.name');
    assert.ok(typeof a.details['indicatorLoaded'] === 'string');
  });

  it('does not hunt again after a restart, and hunts only what a changed feed adds', async () => {
    const seen = new Set((await retroAlerts()).map((a) => a.id));
    const before = seen.size;
    const again = await open(join(dir, 'hunted.json'));
    await again.retroHunt;
    assert.equal((await retroAlerts()).length, before, 'a restart raises nothing new');
    await writeFile(join(dir, 'feed.txt'), ['183.62.140.253', '10.0.0.7'].join('\n') + '\n');
    assert.equal(await again.reload(true), true);
    await again.retroHunt;
    again.close();
    const added = (await retroAlerts()).filter((a) => !seen.has(a.id));
    assert.deepEqual([...new Set(observed(added))], ['10.0.0.7'], 'only the new indicator was hunted');
  });

  it('pages through more matching events than one store query returns', async () => {
    const count = async () => observed(await retroAlerts()).filter((v) => v === '183.62.140.253').length;
    const before = await count();
    const hunter = new IntelRetroHunter({ history: store, tenants: async () => ['default'], lookbackDays: 30, maxEventsPerQuery: 50 });
    const report = await hunter.hunt([{ type: 'ipv4', value: '183.62.140.253', source: 'feed.txt', added: now }], now);
    assert.equal(report.truncated, 0);
    assert.equal((await count()) - before, sshFromWorst, `${sshFromWorst} events read 50 at a time`);
  });

  it('narrows with text the original record holds, and IPv4 networks with address wildcards', () => {
    const i = (type: 'url' | 'cidr' | 'domain', value: string) => ({ type, value, source: 'f', added: 0 });
    assert.deepEqual(narrowingTerm(i('domain', 'evil.example')), { kind: 'text', text: 'evil.example', wildcard: false, quoted: true });
    assert.deepEqual(narrowingTerm(i('url', 'evil.example/gate.php')), {
      kind: 'and',
      children: [
        { kind: 'text', text: 'evil.example', wildcard: false, quoted: true },
        { kind: 'text', text: '/gate.php', wildcard: false, quoted: true },
      ],
    });
    const net = narrowingTerm(i('cidr', '198.51.100.0/22'));
    assert.equal(JSON.stringify(net).includes('"198.51.*"'), true, '/22 widens to the /16 wildcard; matchEvent decides');
    assert.equal(narrowingTerm(i('cidr', '2001:db8::/32')), undefined);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alertOf } from '../core/alert.js';
import { createEvent } from '../core/event.js';
import { MemoryStore } from '../api/memory-store.test-support.js';
import { GeoIpEnricher } from '../enrich/geoip/geoip-enricher.js';
import { IndicatorIndex } from '../detect/intel/indicator-index.js';
import { indicatorsFor } from '../detect/intel/intel-detector.js';
import { AlertContext } from './alert-context.js';
import { EntityDirectory } from './entity-directory.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MINUTE = 60_000;

describe('alert context: what an analyst sees without searching', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-context-'));
    await writeFile(join(dir, 'assets.csv'), 'hostname,ip,owner,criticality,department\nweb1.corp.example,10.0.0.5,ops-team,high,Infrastructure\n"db1, primary",10.0.0.6,dba,critical,Data\n');
    await writeFile(join(dir, 'users.json'), JSON.stringify([{ username: 'alice', department: 'Finance', manager: 'bob', __proto__: { admin: true } }]));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('adds GeoIP, asset and user records, intel, prevalence and the surrounding events to a new alert', async () => {
    const store = new MemoryStore();
    const event = (minute: number, fields: Record<string, string>) =>
      createEvent({ tenant: 't', received: T0, time: T0 + minute * MINUTE, source: { input: 'test', kind: 'file' }, format: 'json', original: '{}', fields });
    store.events.push(
      event(-600, { 'host.name': 'web1', 'user.name': 'alice' }),
      event(-5, { 'host.name': 'web1', 'process.name': 'curl' }),
      event(3, { 'user.name': 'alice', 'event.action': 'sudo' }),
      event(30, { 'host.name': 'web1' }),
      event(1, { 'source.ip': '183.62.140.253' }),
    );
    const intel = IndicatorIndex.from([{ type: 'ipv4', value: '183.62.140.253', source: 'feed.txt', added: 0, confidence: 80 }]);
    const context = new AlertContext({
      geo: GeoIpEnricher.open(),
      assets: EntityDirectory.open('assets', join(dir, 'assets.csv')),
      users: EntityDirectory.open('users', join(dir, 'users.json')),
      intel: (v) => indicatorsFor(intel, v).map((x) => ({ type: x.type, value: x.value, source: x.source })),
      history: store,
      prevalence: true,
      surroundingMinutes: 10,
    });
    const alert = alertOf({
      id: 'a1', tenant: 't', created: T0, ruleId: 'r', ruleTitle: 'R', ruleAuthor: 'Vigil', level: 'high', eventIds: ['e'], state: 'new',
      details: { entities: { 'host.name': 'WEB1.corp.example', 'user.name': 'CORP\\alice', 'source.ip': '183.62.140.253' }, time: new Date(T0).toISOString() },
    });
    const c = (await context.enrich(alert)).details['context'] as Record<string, Record<string, unknown>>;
    assert.equal((c['geo']!['183.62.140.253'] as Record<string, unknown>)['geo.country_iso_code'], 'CN');
    assert.deepEqual(c['assets']!['WEB1.corp.example'], { hostname: 'web1.corp.example', ip: '10.0.0.5', owner: 'ops-team', criticality: 'high', department: 'Infrastructure' });
    assert.deepEqual({ ...(c['users']!['CORP\\alice'] as object) }, { username: 'alice', department: 'Finance', manager: 'bob' });
    assert.deepEqual(c['intel'], [{ field: 'source.ip', observed: '183.62.140.253', type: 'ipv4', value: '183.62.140.253', source: 'feed.txt' }]);
    assert.deepEqual(Object.keys(c['surrounding']!).sort(), ['host.name=WEB1.corp.example', 'user.name=CORP\\alice']);
    assert.equal((c['prevalence']!['source.ip=183.62.140.253'] as { events: number }).events, 1);
  });

  it('finds assets by short name and address, users by bare name, and reports a broken file with its key', async () => {
    const assets = EntityDirectory.open('assets', join(dir, 'assets.csv'));
    assert.equal(assets.find('db1, primary')?.['owner'], 'dba');
    assert.equal(assets.find('10.0.0.6')?.['criticality'], 'critical');
    assert.equal(assets.find('web1')?.['owner'], 'ops-team');
    assert.equal(assets.find('web9'), undefined);
    await writeFile(join(dir, 'broken.json'), '[{"name": ');
    assert.throws(() => EntityDirectory.open('users', join(dir, 'broken.json')), /alerts\.enrichment\.users: .*broken\.json is not valid JSON/);
    assert.throws(() => EntityDirectory.open('assets', join(dir, 'missing.csv')), /alerts\.enrichment\.assets: cannot read/);
  });
});

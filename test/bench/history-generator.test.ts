/**
 * The history benchmark's generator (bench/history-generator.ts): deterministic, varied, and
 * consistent between the original text, the fields and the event time.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Event } from '../../src/core/event.js';
import {
  CORPUS_GROUPS,
  compileTemplate,
  historyBatches,
  loadCorpusTemplates,
  parseFileText,
  type TemplateGroup,
} from '../../bench/history-generator.js';
import { CORPUS_ROOT, corpusHas } from '../support/corpus.js';

const SSHD = [
  'Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
  'Dec 10 09:11:20 LabSZ sshd[24492]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
].join('\n');
const APACHE =
  '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0"';
const SURICATA =
  '{"timestamp":"2018-03-24T16:44:31.118540-0600","flow_id":1,"event_type":"alert","src_ip":"10.128.0.100","src_port":49396,"dest_ip":"10.47.41.10","dest_port":445,"proto":"TCP","alert":{"signature":"ET POLICY SMB2","severity":2},"flow":{"start":"2018-03-24T16:44:17.402829-0600"}}';

const RECEIVED = Date.UTC(2024, 0, 1);
const START = Date.UTC(2026, 4, 1);
const END = Date.UTC(2026, 4, 2);

function groups(): TemplateGroup[] {
  const source = { input: 'test', kind: 'syslog-tcp' } as const;
  return [
    { group: 'sshd', share: 0.5, templates: parseFileText('sshd.log', SSHD, RECEIVED).map((e) => compileTemplate(e, 'sshd', source)) },
    { group: 'apache', share: 0.3, templates: parseFileText('access.log', APACHE, RECEIVED).map((e) => compileTemplate(e, 'apache', source)) },
    { group: 'suricata', share: 0.2, templates: parseFileText('eve.json', SURICATA, RECEIVED).map((e) => compileTemplate(e, 'suricata', source)) },
  ];
}

function generate(events: number, seed?: number, batchSize = 1000): { events: Event[]; rawBytes: number; batches: number } {
  const out: Event[] = [];
  let rawBytes = 0;
  let batches = 0;
  for (const b of historyBatches(groups(), { events, start: START, end: END, batchSize, ...(seed === undefined ? {} : { seed }) })) {
    out.push(...b.events);
    rawBytes += b.rawBytes;
    batches++;
  }
  return { events: out, rawBytes, batches };
}

describe('history generator', () => {
  it('is deterministic: the same seed gives the same events, ids included; another seed does not', () => {
    const a = generate(500);
    const b = generate(500, undefined, 64);
    assert.deepEqual(b.events, a.events);
    const c = generate(500, 42);
    assert.notDeepEqual(c.events.map((e) => e.original), a.events.map((e) => e.original));
  });

  it('streams in batches and counts the raw bytes of the originals', () => {
    const { events, rawBytes, batches } = generate(2500);
    assert.equal(events.length, 2500);
    assert.equal(batches, 3);
    assert.equal(rawBytes, events.reduce((sum, e) => sum + Buffer.byteLength(e.original), 0));
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids are unique');
  });

  it('varies hosts, users, addresses and ports, and writes them into the original and the message', () => {
    const { events } = generate(5000);
    const distinct = (field: string) => new Set(events.map((e) => e.fields[field]).filter((v) => v !== undefined)).size;
    assert.ok(distinct('host.name') > 300, `host.name: ${distinct('host.name')}`);
    assert.ok(distinct('user.name') > 500, `user.name: ${distinct('user.name')}`);
    assert.ok(distinct('source.ip') > 1000, `source.ip: ${distinct('source.ip')}`);
    assert.ok(distinct('source.port') > 1000, `source.port: ${distinct('source.port')}`);
    for (const e of events) {
      for (const field of ['host.name', 'user.name', 'source.ip', 'destination.ip']) {
        const value = e.fields[field];
        if (typeof value === 'string') assert.ok(e.original.includes(value), `${field} ${value} in ${e.original}`);
      }
      if (typeof e.fields['source.port'] === 'number') assert.ok(e.original.includes(String(e.fields['source.port'])));
      if (e.format === 'rfc3164' || e.format === 'web-access') {
        assert.equal(typeof e.fields.message, 'string');
        assert.ok(e.original.includes(e.fields.message as string), 'the message stays part of the original');
      }
    }
    // Zeek/Suricata style raw names follow the ECS ones.
    const eve = events.find((e) => e.fields.src_ip !== undefined);
    assert.ok(eve);
    assert.equal(eve.fields.src_ip, eve.fields['source.ip']);
    assert.equal(eve.fields.src_port, eve.fields['source.port']);
  });

  it('shifts times into the range, mostly in order, and rewrites the timestamps of the original', () => {
    const { events } = generate(3000);
    let previous = 0;
    for (const e of events) {
      assert.ok(e.received >= previous - 1000, 'receive time goes forward (within a second of jitter)');
      previous = e.received;
      assert.ok(e.time <= e.received && e.time >= e.received - 15 * 60_000, 'event time is at most 15 min before receipt');
      assert.ok(e.received >= START && e.received <= END + 1000);
      if (e.format === 'rfc3164') {
        const reparsed = parseFileText('x.log', e.original, e.received)[0];
        assert.equal(reparsed?.time, Math.floor(e.time / 1000) * 1000, e.original);
      }
      if (e.format === 'json') {
        const eve = JSON.parse(e.original) as { timestamp: string; flow: { start: string } };
        assert.equal(Date.parse(eve.timestamp), e.time, eve.timestamp);
        // Other timestamps keep their distance from the first.
        assert.equal(Date.parse(eve.timestamp) - Date.parse(eve.flow.start), 13_716);
      }
    }
    const tenants = new Map<string, number>();
    for (const e of events) tenants.set(e.tenant, (tenants.get(e.tenant) ?? 0) + 1);
    assert.ok((tenants.get('default') ?? 0) > 0.85 * events.length && tenants.size === 3, JSON.stringify([...tenants]));
  });

  it('reads every corpus group it names', { skip: !corpusHas('loghub') && `corpus absent: ${CORPUS_ROOT}` }, () => {
    const loaded = loadCorpusTemplates(CORPUS_ROOT);
    assert.deepEqual(loaded.map((g) => g.group), CORPUS_GROUPS.map((g) => g.group));
    for (const g of loaded) {
      assert.ok(g.templates.length > 100, `${g.group}: ${g.templates.length}`);
      assert.ok(g.templates.some((t) => t.slots.length > 0), `${g.group} has something to vary`);
    }
  });
});

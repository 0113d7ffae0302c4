import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '../core/event.js';
import { isVigilError } from '../core/errors.js';
import { parseLine } from '../parsers/line/line-parser.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { corpusHas, corpusPath } from '../../test/support/corpus.js';
import { entityTimeline, parseEntity } from './entity-timeline.js';

const OPENSSH = ['loghub', 'OpenSSH_2k.log'];
const received = Date.parse('2026-11-02T00:00:00Z');

describe('entity timeline: one address, everything about it, in order', { skip: !corpusHas(...OPENSSH) && 'corpus absent: ../shared/corpus' }, () => {
  let dir: string;
  let store: DuckDbStore;
  let expected = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-timeline-'));
    store = await DuckDbStore.open({ path: join(dir, 'e.duckdb') });
    const events = readFileSync(corpusPath(...OPENSSH), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const p = parseLine(line, 'auto', received);
        return createEvent({ tenant: 't', received, time: p.time ?? received, source: { input: 'file', kind: 'file' }, format: p.format, original: line, fields: p.fields, flags: p.flags });
      });
    expected = events.filter((e) => e.fields['source.ip'] === '187.141.143.180').length;
    await store.appendEvents(events);
    await store.appendAlerts([
      { id: 'al-1', tenant: 't', created: received, ruleId: 'r', ruleTitle: 'SSH Brute Force From One Source', ruleAuthor: 'Vigil', level: 'medium', eventIds: [], state: 'new', details: { entities: { 'source.ip': '187.141.143.180' }, time: '2025-12-10T09:15:00Z' } },
      { id: 'al-2', tenant: 't', created: received, ruleId: 'r', ruleTitle: 'Other', ruleAuthor: 'Vigil', level: 'medium', eventIds: [], state: 'new', details: { entities: { 'source.ip': '198.51.100.1' } } },
    ]);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists its events and alerts in time order, and the host and accounts it touched', async () => {
    const t = await entityTimeline(store, 't', parseEntity('source.ip:187.141.143.180'));
    assert.equal(t.events, expected);
    assert.equal(t.items.filter((i) => i.kind === 'event').length, expected);
    assert.deepEqual(t.items.filter((i) => i.kind === 'alert').map((i) => i.id), ['al-1']);
    assert.ok(t.items.every((item, i) => i === 0 || t.items[i - 1]!.at <= item.at), 'in time order');
    assert.deepEqual(t.related[0], { field: 'host.name', value: 'LabSZ', events: expected });
    assert.ok(t.related.some((r) => r.field === 'user.name'));
    const window = await entityTimeline(store, 't', { field: 'source.ip', value: '187.141.143.180' }, Date.parse('2025-12-10T09:14:00Z'), Date.parse('2025-12-10T09:16:00Z'));
    assert.ok(window.events > 0 && window.events < expected);
  });

  it('refuses fields that are not entities', () => {
    assert.throws(() => parseEntity('message:boom'), (e: unknown) => isVigilError(e) && /host\.name:web01/.test(e.message));
    assert.throws(() => parseEntity('host.name:'), (e: unknown) => isVigilError(e));
  });
});

/**
 * Exports: CSV that a spreadsheet cannot turn into a formula, and whole results streamed page
 * by page from a real DuckDB store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, type Event } from '../core/event.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { csvCell, csvLine, exportQuery } from './result-export.js';
import { planQuery } from './query-plan.js';

describe('CSV cells', () => {
  it('neutralises text a spreadsheet would run as a formula', () => {
    for (const hostile of ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      assert.ok(csvCell(hostile).replace(/^"/, '').startsWith("'"), hostile);
    }
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('safe text'), 'safe text');
  });

  it('quotes cells with quotes, commas and line breaks (RFC 4180)', () => {
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('=cmd|" /C calc"!A0'), `"'=cmd|"" /C calc""!A0"`);
  });

  it('writes numbers as numbers and null as empty', () => {
    assert.equal(csvLine([-5, 1.5, null, 'x']), '-5,1.5,,x\r\n');
  });
});

describe('exportQuery over a real store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-export-'));
  let store: DuckDbStore;
  const T0 = Date.UTC(2026, 0, 1);
  const events: Event[] = [];

  before(async () => {
    store = await DuckDbStore.open({ path: join(dir, 'vigil.duckdb') });
    // 25,000 events over ~83 minutes, five per second: more than one store page per hour, so
    // the export's time windows must shrink; then 10,050 in one millisecond, which only keyset
    // paging inside that millisecond can deliver without loss.
    for (let i = 0; i < 25_000 + 10_050; i++) {
      events.push(
        createEvent({
          tenant: 'a',
          time: i < 25_000 ? T0 + Math.floor(i / 5) * 1000 : T0 - 3_600_000,
          received: T0,
          source: { input: 'test', kind: 'file' },
          format: 'json',
          original: `{"n":${i}}`,
          fields: { message: i % 100 === 0 ? `=cmd|' /C calc'!A${i}` : `event ${i}`, 'user.name': `u${i % 3}`, n: i },
        }),
      );
    }
    await store.appendEvents(events);
    await store.appendEvents([createEvent({ tenant: 'b', time: T0, received: T0, source: { input: 't', kind: 'file' }, format: 'json', original: '{}', fields: {} })]);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function collect(query: string, format: 'csv' | 'ndjson', limit = 10_000_000): Promise<{ text: string; chunks: number }> {
    let text = '';
    let chunks = 0;
    for await (const chunk of exportQuery(store, planQuery(query), { tenant: 'a', limit }, format)) {
      text += chunk;
      chunks++;
    }
    return { text, chunks };
  }

  it('streams every event of the tenant once, newest first, window by window', async () => {
    const { text, chunks } = await collect('', 'ndjson');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Event);
    assert.equal(lines.length, 35_050);
    assert.equal(new Set(lines.map((e) => e.id)).size, 35_050);
    assert.ok(chunks >= 4, `several windows and millisecond pages: got ${chunks} chunks`);
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.time >= lines[i]!.time);
    assert.ok(lines.every((e) => e.tenant === 'a'));
  });

  it('honours a limit and | fields', async () => {
    const { text } = await collect('user.name:u1 | fields n, user.name', 'csv', 10);
    const rows = text.split('\r\n').filter(Boolean);
    assert.equal(rows[0], 'n,user.name');
    assert.equal(rows.length, 11);
    assert.ok(rows.slice(1).every((r) => r.endsWith(',u1')));
  });

  it('neutralises hostile messages in the default columns', async () => {
    const { text } = await collect('"calc"', 'csv');
    const rows = text.split('\r\n').filter(Boolean);
    assert.equal(rows.length, 1 + events.filter((e) => String(e.fields['message']).includes('calc')).length);
    assert.ok(rows.slice(1).every((r) => r.includes(",'=cmd|' /C calc'!A")), rows[1]);
    assert.ok(!rows.some((r) => r.includes(',=cmd')), 'no cell starts with =');
  });

  it('exports an aggregation as its table', async () => {
    const { text } = await collect('* | stats count() by user.name', 'csv');
    assert.equal(text, 'user.name,count()\r\nu0,11684\r\nu1,11683\r\nu2,11683\r\n');
    const nd = await collect('* | top 1 user.name', 'ndjson');
    assert.deepEqual(JSON.parse(nd.text), { 'user.name': 'u0', count: 11684, percent: 33.34 });
  });
});

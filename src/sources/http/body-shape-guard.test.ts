/**
 * The shape guard says a body is refused only when its route's parser, given the bytes so far,
 * refuses it exactly as it refuses the whole body: same message, same records counted as lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import { shapeGuard, type BodyShape } from './body-shape-guard.js';
import { bulkItems } from './bulk-body.js';
import { hecEvents } from './hec-body.js';
import { ingestRecords } from './ingest-body.js';
import { DEPTH_SCAN_BYTES, MAX_OBJECT_MEMBERS } from './ndjson-lines.js';

const MAX_DEPTH = 8;

/** What the route's parser makes of `body`: each record it reads, then its refusal and how many records it loses. */
function outcome(shape: BodyShape, body: Buffer): string {
  const read: string[] = [];
  try {
    switch (shape) {
      case 'ingest':
        for (const r of ingestRecords(body, MAX_DEPTH)) read.push(`${r.position}=${r.original.length}`);
        break;
      case 'ndjson':
        for (const i of bulkItems(body, MAX_DEPTH, undefined)) read.push(`${i.action}=${i.document?.original.length}`);
        break;
      case 'concatenated-json':
        for (const e of hecEvents(body, MAX_DEPTH)) read.push(`${e.index}=${e.original.length}`);
        break;
    }
    return read.join(',');
  } catch (error) {
    return `refused: ${(error as Error).message} (lost ${(error as { seen?: number }).seen}) after ${read.join(',')}`;
  }
}

/**
 * Feeds `body` in chunks of the given sizes; the bytes fed when the guard tripped, or undefined.
 * Those bytes come back as a copy the guard remembered its verdict on (the parser skips its own
 * scan) unless `remember` is false.
 */
function guarded(shape: BodyShape, body: Buffer, sizes: () => number, remember = true): Buffer | undefined {
  const guard = shapeGuard(shape, MAX_DEPTH);
  for (let pos = 0; pos < body.length; ) {
    const end = Math.min(body.length, pos + sizes());
    if (guard.write(body.subarray(pos, end))) {
      const prefix = Buffer.from(body.subarray(0, end));
      if (remember) guard.remember(prefix);
      return prefix;
    }
    pos = end;
  }
  return undefined;
}

const members = (n: number): string => Array.from({ length: n }, (_, i) => `"k${i}":${i % 10}`).join(',');
const nested = (depth: number, inner = '1'): string => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
const long = (bytes: number): string => `{"message":"${'x'.repeat(bytes)}"}`;
const BOMB = `{${members(MAX_OBJECT_MEMBERS + 1)}}`;

test('refuses a million-key object once it has seen its 65,537th member, on every input', () => {
  const million = `{${members(1_000_000)}}`;
  const bodies: Record<BodyShape, string> = {
    ingest: `${million}\n`,
    ndjson: `{"index":{}}\n${million}\n`,
    'concatenated-json': `{"event":${million}}`,
  };
  for (const [shape, text] of Object.entries(bodies) as [BodyShape, string][]) {
    const body = Buffer.from(text);
    const prefix = guarded(shape, body, () => 64 * 1024);
    assert.ok(prefix, `${shape}: not refused`);
    assert.ok(prefix.length < 1.1 * 1024 * 1024, `${shape}: refused only after ${prefix.length} of ${body.length} bytes`);
    assert.match(outcome(shape, prefix), /more than 65536 members/);
    assert.equal(outcome(shape, prefix), outcome(shape, body), `${shape}: the parser answers the cut body as the whole one`);
    assert.equal(outcome(shape, Buffer.from(prefix)), outcome(shape, body), `${shape}: also when it scans the cut body itself`);
  }
});

test('says nothing of bodies the parser accepts: long lines, nesting at the limit, many members', () => {
  const record = (i: number): string => (i % 3 === 0 ? long(DEPTH_SCAN_BYTES + 1000) : i % 3 === 1 ? nested(MAX_DEPTH - 1) : `{${members(MAX_OBJECT_MEMBERS)}}`);
  const records = Array.from({ length: 9 }, (_, i) => record(i));
  const bodies: Record<BodyShape, string> = {
    ingest: `\ufeff${records.join('\r\n')}\n`,
    ndjson: records.map((r) => `{"index":{}}\n${r}\n`).join(''),
    'concatenated-json': records.map((r) => `{"event":${r.replace(/^\{"a":/, '{"b":')}}`).join('\n'),
  };
  const arrayBody = `  [${records.join(',')}]`;
  for (const [shape, text] of [...Object.entries(bodies), ['ingest', arrayBody]] as [BodyShape, string][]) {
    const body = Buffer.from(text);
    assert.doesNotMatch(outcome(shape, body), /^refused/, `${shape}: the test body itself is refused`);
    for (const size of [1, 7, 4096, 65536]) assert.equal(guarded(shape, body, () => size), undefined, `${shape} in chunks of ${size}`);
  }
});

test('lets short lines through: the parser checks their nesting only after JSON.parse', () => {
  const body = Buffer.from(`${nested(MAX_DEPTH + 5)}\n`);
  assert.equal(guarded('ndjson', body, () => 1), undefined);
  assert.equal(guarded('ingest', body, () => 1), undefined);
  // Splunk HEC checks nesting in every object, long or short, before parsing.
  assert.ok(guarded('concatenated-json', Buffer.from(`{"event":${nested(MAX_DEPTH + 5)}}`), () => 1));
});

test('lets a line through that is no longer than DEPTH_SCAN_BYTES as the parser measures it (a BOM and a trailing CR aside)', () => {
  const line = (bytes: number): string => {
    const deep = nested(MAX_DEPTH + 1);
    return deep.slice(0, -1) + ' '.repeat(bytes - deep.length) + '}';
  };
  for (const text of [`${line(DEPTH_SCAN_BYTES)}\n`, `\ufeff${line(DEPTH_SCAN_BYTES)}\n`, `${line(DEPTH_SCAN_BYTES)}\r\n`, `\ufeff${line(DEPTH_SCAN_BYTES)}\r`]) {
    const body = Buffer.from(text);
    assert.doesNotMatch(outcome('ingest', body), /^refused/);
    assert.equal(guarded('ingest', body, () => 1000), undefined, JSON.stringify(text.slice(0, 3)));
  }
  assert.match(outcome('ingest', Buffer.from(`${line(DEPTH_SCAN_BYTES + 1)}\n`)), /^refused: line 1: JSON nested deeper/);
});

test('refuses an _bulk update whose document line is refused, though updates are not parsed', () => {
  const body = Buffer.from(`{"update":{"_id":"1"}}\n${BOMB}\n{"index":{}}\n{"a":1}\n`);
  const prefix = guarded('ndjson', body, () => 1000);
  assert.ok(prefix);
  assert.match(outcome('ndjson', body), /^refused: line 2: a JSON object with more than 65536 members/);
  assert.equal(outcome('ndjson', prefix), outcome('ndjson', body));
});

/**
 * Bodies of every kind with one bad record somewhere (a long or short line, nested too deep or
 * with too many members, or not JSON at all), cut in random chunks: whenever the guard trips,
 * the parser given the bytes so far answers exactly as it answers the whole body.
 */
test('when it trips, the parser refuses the bytes so far exactly as the whole body (generated bodies, random chunks)', () => {
  const random = new SeededRandom(20240607);
  const good = (): string => random.pick([`{"n":${random.int(0, 9)}}`, long(random.int(10, DEPTH_SCAN_BYTES + 200)), nested(random.int(1, MAX_DEPTH - 1)), '"plain message"']);
  const bad = (): string =>
    random.pick([
      BOMB,
      `{"outer":${BOMB}}`,
      nested(MAX_DEPTH + random.int(1, 50), JSON.stringify('y'.repeat(random.int(0, DEPTH_SCAN_BYTES + 100)))),
      `{"message":"${'z'.repeat(DEPTH_SCAN_BYTES + 10)}", "deep":${nested(MAX_DEPTH + 1)}}`,
      '{"not json":',
      `{"broken":"${'w'.repeat(DEPTH_SCAN_BYTES)}`,
    ]);
  const ndjson = (records: string[]): string =>
    (random.next() < 0.2 ? '\ufeff' : '') + records.map((r) => r + random.pick(['\n', '\r\n', '\n\n'])).join('');
  const kinds: Array<[BodyShape, () => string]> = [
    ['ingest', () => ndjson(withBad(good, bad))],
    ['ingest', () => `${random.pick(['', ' \n', '\ufeff'])}[${withBad(good, bad).filter((r) => r !== '"plain message"').join(',')}]`],
    // A pretty-printed object: its first line alone is not JSON, so the parser tries the whole body.
    ['ingest', () => `{\n  "first": 1,\n  "second": ${random.pick([BOMB, good(), bad()])},\n  "third": ${good()}\n}\n`],
    ['ndjson', () => ndjson(withBad(good, bad).flatMap((r) => [random.pick(['{"index":{}}', '{"create":{}}', '{"update":{}}']), r]))],
    ['concatenated-json', () => withBad(good, bad).map((r) => `{"event":${r}}${random.pick(['', '\n', ' '])}`).join('')],
  ];
  function withBad(g: () => string, b: () => string): string[] {
    const records = Array.from({ length: random.int(0, 4) }, g);
    records.splice(random.int(0, records.length), 0, b());
    return records;
  }
  let trips = 0;
  for (let i = 0; i < 300; i++) {
    const [shape, make] = random.pick(kinds);
    const body = Buffer.from(make());
    const whole = outcome(shape, body);
    const remember = random.next() < 0.5;
    const prefix = guarded(shape, body, () => random.pick([1, 3, random.int(1, 200), random.int(1000, 70_000), 65536]), remember);
    if (!prefix) continue;
    trips++;
    assert.match(whole, /^refused/, `${shape}: tripped on a body the parser accepts`);
    assert.equal(outcome(shape, prefix), whole, `${shape}: body ${i} cut at ${prefix.length} of ${body.length} bytes${remember ? ', verdict remembered' : ''}`);
  }
  assert.ok(trips >= 50, `only ${trips} of 300 generated bodies tripped the guard: the test says little`);
});

test('finds a Splunk HEC body that starts with a BOM split over chunks as the parser does', () => {
  const body = Buffer.from(`\ufeff{"event":"a"}{"event":${nested(MAX_DEPTH + 1)}}`);
  const prefix = guarded('concatenated-json', body, () => 1);
  assert.ok(prefix);
  assert.equal(outcome('concatenated-json', prefix), outcome('concatenated-json', body));
  assert.equal(guarded('concatenated-json', Buffer.from('\ufeff{"event":"a"}'), () => 1), undefined);
});

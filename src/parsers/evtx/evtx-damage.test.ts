/**
 * Hostile and damaged input: decodeEvtx never throws, reports what it skipped and where, keeps
 * every record it can still trust, and finishes quickly. Files are synthesised with
 * evtx-fixture-builder.ts, so these specifications need no corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvtx, type EvtxDecodeResult } from './evtx-decoder.js';
import {
  BinXmlWriter,
  buildChunk,
  buildEvtx,
  embeddedValue,
  sampleBody,
  sampleChunk,
  templateInstance,
  u16Value,
  utf16Value,
  type SubstitutionValue,
} from '../../../test/support/evtx-fixture-builder.js';

const CHUNK0 = 4096;
const CHUNK1 = 4096 + 65536;

function goodFile(): Buffer {
  return buildEvtx([sampleChunk(1, ['whoami /all ', 'net user']), sampleChunk(3, ['ipconfig', 'hostname'])]);
}

/** Decodes and checks the time budget: each damaged input must be handled in well under a second. */
function timedDecode(buf: Buffer): EvtxDecodeResult {
  const start = performance.now();
  const result = decodeEvtx(buf);
  const ms = performance.now() - start;
  assert.ok(ms < 1000, `decode took ${ms.toFixed(0)} ms`);
  return result;
}

function ids(r: EvtxDecodeResult): number[] {
  return r.records.map((x) => x.recordId);
}

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = (copy[at] as number) ^ 0xff;
  return copy;
}

test('a well-formed file decodes every record, the template defined once and reused', () => {
  const r = timedDecode(goodFile());
  assert.deepEqual(r.damage, []);
  assert.deepEqual(ids(r), [1, 2, 3, 4]);
  assert.deepEqual(r.records[0]?.event, {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: { EventID: 1, Computer: 'ws-1', Correlation: null },
      EventData: { CommandLine: 'whoami /all' },
    },
  });
  assert.equal(new Date(r.records[0]?.timestamp ?? 0).toISOString(), '2024-12-01T04:13:20.000Z');
});

test('input that is not EVTX yields no records and one damage entry for the file header', () => {
  for (const buf of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(5000, 0x41)]) {
    const r = timedDecode(buf);
    assert.deepEqual(r.records, []);
    assert.equal(r.damage.length, 1);
    assert.equal(r.damage[0]?.chunk, -1);
  }
});

test('a file header with a bad CRC is reported, and its chunks are still read', () => {
  const r = timedDecode(flip(goodFile(), 30));
  assert.deepEqual(ids(r), [1, 2, 3, 4]);
  assert.match(r.damage[0]?.reason ?? '', /file header CRC32/);
});

test('a chunk with a flipped header byte or a bad signature is skipped; the other chunk is kept', () => {
  for (const at of [CHUNK0 + 1, CHUNK0 + 48, CHUNK0 + 200]) {
    const r = timedDecode(flip(goodFile(), at));
    assert.deepEqual(ids(r), [3, 4], `flip at ${at}`);
    assert.equal(r.damage.length, 1);
    assert.equal(r.damage[0]?.chunk, 0);
  }
});

test('a record with a bad signature or an impossible size ends its chunk; the other chunk is kept', () => {
  // Record bytes are covered by the data CRC, so each case reports that mismatch too.
  for (const at of [CHUNK1 + 512, CHUNK1 + 512 + 5]) {
    const r = timedDecode(flip(goodFile(), at));
    assert.deepEqual(ids(r), [1, 2], `flip at ${at}`);
    assert.ok(r.damage.some((d) => d.chunk === 1 && /record (signature|size)/.test(d.reason)));
  }
});

test('truncation at any offset never throws and never loses records silently', () => {
  const file = goodFile();
  const cuts: number[] = [];
  for (let at = 0; at < 700; at += 13) cuts.push(at);
  for (let at = CHUNK0; at < CHUNK0 + 1400; at += 7) cuts.push(at);
  for (let at = CHUNK1; at < CHUNK1 + 1400; at += 7) cuts.push(at);
  for (let at = 0; at < file.length; at += 4099) cuts.push(at);
  for (const cut of cuts) {
    const r = timedDecode(file.subarray(0, cut));
    assert.ok(r.records.length === 4 || r.damage.length > 0, `cut at ${cut}: records lost without damage`);
    if (cut > CHUNK1) assert.deepEqual(ids(r).slice(0, 2), [1, 2], `cut at ${cut} keeps the first chunk`);
  }
});

test('a template whose definition refers to itself is refused as a loop; other records are kept', () => {
  const loop = (w: BinXmlWriter): void => {
    templateInstance(
      w,
      (body) => {
        // The body starts 28 bytes after its definition (24-byte header, 4-byte fragment header).
        const own = body.pos - 28;
        body.u8(0x0c).u8(1).u32(1).u32(own).u32(0);
      },
      [],
    );
  };
  const selfPointer = (w: BinXmlWriter): void => {
    w.u8(0x0f).u8(1).u8(1).u8(0);
    const token = w.pos;
    w.u8(0x0c).u8(1).u32(1).u32(token).u32(0);
  };
  const good = (w: BinXmlWriter): void => {
    templateInstance(w, sampleBody, [u16Value(7), utf16Value('ws-2'), utf16Value('calc.exe'), { type: 0, data: Buffer.alloc(0) }]);
  };
  const r = timedDecode(buildEvtx([buildChunk([loop, selfPointer, good], 10), sampleChunk(20, ['a', 'b'])]));
  assert.deepEqual(ids(r), [12, 20, 21]);
  assert.equal(r.damage.length, 2);
  assert.match(r.damage[0]?.reason ?? '', /refers to itself/);
  assert.match(r.damage[1]?.reason ?? '', /points into its own instance/);
  assert.ok(r.damage.every((d) => d.chunk === 0));
});

test('elements nested deeper than 64 levels are refused, not followed', () => {
  const deep = (w: BinXmlWriter): void => {
    templateInstance(
      w,
      (body) => {
        for (let i = 0; i < 200; i++) body.open('E', false).closeStart();
        for (let i = 0; i < 200; i++) body.end();
      },
      [],
    );
  };
  const r = timedDecode(buildEvtx([buildChunk([deep], 1)]));
  assert.deepEqual(r.records, []);
  assert.match(r.damage[0]?.reason ?? '', /deeper than 64/);
});

test('random byte flips in the used data never throw and finish fast', () => {
  const file = goodFile();
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const start = performance.now();
  for (let i = 0; i < 400; i++) {
    const copy = Buffer.from(file);
    const base = i % 2 === 0 ? CHUNK0 : CHUNK1;
    for (let k = 0; k < 3; k++) copy[base + 512 + (next() % 700)] = next() & 0xff;
    const r = decodeEvtx(copy);
    assert.ok(r.records.length + r.damage.length > 0);
  }
  assert.ok(performance.now() - start < 5000);
});

test('substituted BinXML that multiplies itself is cut off at the per-record node budget', () => {
  // Each level uses its one value twenty times, and that value is the level below: 20^8 nodes.
  const level = (n: number): SubstitutionValue =>
    n === 0
      ? utf16Value('x')
      : embeddedValue((w) =>
          templateInstance(
            w,
            (body) => {
              body.open('A', false).closeStart();
              for (let i = 0; i < 20; i++) body.sub(0, n === 1 ? 0x01 : 0x21);
              body.end();
            },
            [level(n - 1)],
          ),
        );
  const bomb = (w: BinXmlWriter): void => {
    templateInstance(w, (body) => body.open('Event', false).closeStart().sub(0, 0x21).end(), [level(8)]);
  };
  const r = timedDecode(buildEvtx([buildChunk([bomb], 1), sampleChunk(2, ['a', 'b'])]));
  assert.deepEqual(ids(r), [2, 3]);
  assert.match(r.damage[0]?.reason ?? '', /more than 100000 nodes/);
});

test('tiny records re-instantiating one huge template stop at the per-chunk node budget', () => {
  let defOffset = 0;
  const define = (w: BinXmlWriter): void => {
    defOffset = templateInstance(
      w,
      (body) => {
        body.open('Event', false).closeStart();
        for (let i = 0; i < 7000; i++) body.sub(0, 0x01, true);
        body.end();
      },
      [],
    );
  };
  const reuse = (w: BinXmlWriter): void => void templateInstance(w, undefined, [], defOffset);
  const start = performance.now();
  const r = decodeEvtx(buildEvtx([buildChunk([define, ...Array.from({ length: 700 }, () => reuse)], 1), sampleChunk(1000, ['a', 'b'])]));
  assert.ok(performance.now() - start < 2000);
  assert.ok(r.damage.some((d) => d.chunk === 0 && /chunk expands to more than/.test(d.reason)));
  assert.deepEqual(ids(r).slice(-2), [1000, 1001]);
});

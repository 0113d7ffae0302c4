/**
 * The TCP/TLS syslog framer (RFC 6587) under fast-check: arbitrary bytes cut into arbitrary
 * chunks never throw, never yield a frame longer than the cap, and take under a second; and any
 * sequence of well-formed messages (octet-counted or LF-ended, chosen per message as a relay
 * may) split at arbitrary points comes out exactly as sent. Seeded: FUZZ_SEED, FUZZ_RUNS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SyslogStreamFramer, type SyslogFrame } from '../../src/sources/syslog/syslog-stream-framer.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

/** Splits `bytes` at the given cut points (any order, any repeats). */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

function frameAll(chunks: readonly Buffer[], max: number): SyslogFrame[] {
  const framer = new SyslogStreamFramer(max);
  const frames: SyslogFrame[] = [];
  for (const chunk of chunks) frames.push(...framer.push(chunk));
  frames.push(...framer.end());
  return frames;
}

/** Bytes a hostile sender favours: digits and spaces (octet counts), LF, CR, NUL, UTF-8 lead bytes. */
const hostileByte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x30, 0x31, 0x39, 0x20, 0x0a, 0x0d, 0x00, 0x3c, 0x3e, 0xc3, 0xe6, 0xf0, 0x80));

describe('syslog stream framer fuzz', () => {
  it(`arbitrary bytes in arbitrary chunks: ${RUNS} streams, no throw, frames within the cap, under 1 s each`, () => {
    fc.assert(
      fc.property(fc.array(hostileByte, { maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 300 }), (bytes, cuts, max) => {
        const started = performance.now();
        const frames = frameAll(chunked(Buffer.from(bytes), cuts), max);
        // The cap is on bytes held; a decoded frame has at most one UTF-16 unit per byte (an invalid
        // byte becomes one U+FFFD, which re-encodes as 3 bytes, so byteLength is not the measure).
        for (const f of frames) assert.ok(f.text.length <= max, `a frame of ${f.text.length} characters over a cap of ${max} bytes`);
        assert.ok(performance.now() - started < 1000);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`well-formed messages, any framing mix, any chunking: ${RUNS} streams come out exactly as sent`, () => {
    const message = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map((s) => `<13>${s}`);
    const framed = fc.tuple(message, fc.boolean());
    fc.assert(
      fc.property(fc.array(framed, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, cuts) => {
        // An LF-ended message cannot contain LF, NUL or end in CR: those need octet counting.
        const sent = messages.map(([text, counted]) => ({ text, counted: counted || /[\n\0]|\r$/.test(text) }));
        const stream = Buffer.concat(sent.map(({ text, counted }) => Buffer.from(counted ? `${Buffer.byteLength(text)} ${text}` : `${text}\n`)));
        const frames = frameAll(chunked(stream, cuts), 4096);
        assert.deepEqual(frames, sent.map(({ text }) => ({ text, truncated: false })));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

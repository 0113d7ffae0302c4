import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyslogStreamFramer, type SyslogFrame } from './syslog-stream-framer.js';
import { utf8Boundary } from './utf8-boundary.js';

function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

function frameAll(chunks: readonly Buffer[], max = 1024): SyslogFrame[] {
  const framer = new SyslogStreamFramer(max);
  const frames: SyslogFrame[] = [];
  for (const chunk of chunks) frames.push(...framer.push(chunk));
  frames.push(...framer.end());
  return frames;
}

const plain = (text: string): SyslogFrame => ({ text, truncated: false });

describe('SyslogStreamFramer (RFC 6587)', () => {
  const stream = Buffer.from(
    '<13>Oct 11 22:14:15 host app: one\n' +
      octetCounted('<14>1 2024-01-02T03:04:05Z h a - - - two with\nan LF inside') +
      'three over CRLF\r\n' +
      'four ended by NUL\0' +
      octetCounted('<14>1 - - - - - - café ünïcode') +
      '\n' + // some octet-counting senders add an LF after each frame
      '2024-01-02 starts with digits\n' +
      octetCounted('x') +
      'last line without LF',
  );
  const expected = [
    plain('<13>Oct 11 22:14:15 host app: one'),
    plain('<14>1 2024-01-02T03:04:05Z h a - - - two with\nan LF inside'),
    plain('three over CRLF'),
    plain('four ended by NUL'),
    plain('<14>1 - - - - - - café ünïcode'),
    plain('2024-01-02 starts with digits'),
    plain('x'),
    plain('last line without LF'),
  ];

  it('detects octet-counting and LF/NUL framing per frame in one stream', () => {
    assert.deepEqual(frameAll([stream]), expected);
  });

  it('gives the same frames whatever byte the stream is split at', () => {
    for (let at = 0; at <= stream.length; at++) {
      assert.deepEqual(frameAll([stream.subarray(0, at), stream.subarray(at)]), expected, `split at byte ${at}`);
    }
  });

  it('gives the same frames when fed one byte at a time, or split at every pair of points', () => {
    assert.deepEqual(frameAll([...stream].map((b) => Buffer.from([b]))), expected);
    for (let a = 0; a <= stream.length; a += 7) {
      for (let b = a; b <= stream.length; b += 5) {
        assert.deepEqual(frameAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]), expected, `split at ${a} and ${b}`);
      }
    }
  });

  it('cuts an LF frame longer than the limit, flags it, and skips the rest up to the LF', () => {
    const long = 'A'.repeat(100);
    const frames = frameAll([Buffer.from(`${long}\nnext\n`)], 40);
    assert.deepEqual(frames, [{ text: 'A'.repeat(40), truncated: true }, plain('next')]);
  });

  it('cuts an octet-counted frame longer than the limit and skips exactly its counted bytes', () => {
    const long = `<13>${'B'.repeat(200)}`;
    const data = Buffer.from(`${octetCounted(long)}${octetCounted('after')}`);
    const expectedFrames = [{ text: long.slice(0, 50), truncated: true }, plain('after')];
    assert.deepEqual(frameAll([data], 50), expectedFrames);
    for (let at = 0; at <= data.length; at++) {
      assert.deepEqual(frameAll([data.subarray(0, at), data.subarray(at)], 50), expectedFrames, `split at byte ${at}`);
    }
  });

  it('never holds more than the limit for one connection, whatever is sent', () => {
    const framer = new SyslogStreamFramer(64);
    const hostile = Buffer.from(`${'C'.repeat(10_000)}\n999999999 ${'D'.repeat(10_000)}`);
    for (let i = 0; i < hostile.length; i += 100) {
      framer.push(hostile.subarray(i, i + 100));
      assert.ok(framer.bufferedBytes <= 64, `holds ${framer.bufferedBytes} bytes at ${i}`);
    }
  });

  it('cuts on a UTF-8 character boundary, never inside a character', () => {
    const frames = frameAll([Buffer.from('ab€€€\n')], 6); // € is 3 bytes: a b € = 5 bytes, the next € does not fit
    assert.deepEqual(frames, [{ text: 'ab€', truncated: true }]);
    assert.equal(utf8Boundary(Buffer.from('a😀'), 3), 1);
    assert.equal(utf8Boundary(Buffer.from('a😀'), 5), 5);
  });

  it('flags an octet-counted frame that the stream ends before it is complete', () => {
    assert.deepEqual(frameAll([Buffer.from('20 <13>short')]), [{ text: '<13>short', truncated: true }]);
  });

  it('reads a MSG-LEN with a leading zero, or one too long, as the start of an LF frame', () => {
    assert.deepEqual(frameAll([Buffer.from('05 x\n1234567890 y\n')]), [plain('05 x'), plain('1234567890 y')]);
  });

  it('decodes invalid UTF-8 as U+FFFD instead of failing', () => {
    assert.deepEqual(frameAll([Buffer.from([0x61, 0xff, 0x62, 0x0a])]), [plain('a\uFFFDb')]);
  });

  it('emits nothing for blank lines and stray CR or NUL between frames', () => {
    assert.deepEqual(frameAll([Buffer.from('\n\r\n\0\0\nx\n\n')]), [plain('x')]);
  });

  it('never throws, never holds more than the limit and never emits more than the limit on random bytes', () => {
    let seed = 6587;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const alphabet = Buffer.from('0123456789 \n\r\0<>abc\xe2\x82\xac', 'latin1');
    for (let round = 0; round < 300; round++) {
      const framer = new SyslogStreamFramer(32);
      const data = Buffer.alloc(2000);
      for (let i = 0; i < data.length; i++) data[i] = next() < 0.8 ? (alphabet[Math.floor(next() * alphabet.length)] as number) : Math.floor(next() * 256);
      let at = 0;
      while (at < data.length) {
        const size = 1 + Math.floor(next() * 100);
        // One input byte decodes to at most one UTF-16 unit, so a frame cut to 32 bytes has at most 32.
        for (const frame of framer.push(data.subarray(at, at + size))) assert.ok(frame.text.length <= 32, 'a frame over the limit');
        assert.ok(framer.bufferedBytes <= 32);
        at += size;
      }
      framer.end();
    }
  });
});

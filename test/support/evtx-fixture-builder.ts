/**
 * Test support: writes small, valid EVTX files from scratch (layouts as in libevtx's format
 * documentation), so the decoder's behaviour on good and hostile input can be specified
 * without copying real logs into the repository. Only tests import this module.
 */
import { crc32 } from 'node:zlib';

const CHUNK_SIZE = 65536;
const FILE_HEADER_SIZE = 4096;

/** Writes BinXML at a known chunk offset, so inline names and templates can point at themselves. */
export class BinXmlWriter {
  private readonly bytes: number[] = [];
  constructor(readonly base: number) {}

  get pos(): number {
    return this.base + this.bytes.length;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  raw(b: Buffer): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  utf16(s: string): this {
    return this.raw(Buffer.from(s, 'utf16le'));
  }
  /** Patches a u32 written earlier at chunk offset `at`. */
  patch32(at: number, v: number): this {
    const i = at - this.base;
    this.bytes[i] = v & 0xff;
    this.bytes[i + 1] = (v >> 8) & 0xff;
    this.bytes[i + 2] = (v >> 16) & 0xff;
    this.bytes[i + 3] = (v >>> 24) & 0xff;
    return this;
  }
  /** Name reference followed by the inline name structure. */
  name(n: string): this {
    this.u32(this.pos + 4);
    return this.u32(0).u16(0).u16(n.length).utf16(n).u16(0);
  }
  /** Open start element in a template definition: dependency id, data size, name, attribute list size. */
  open(n: string, hasAttributes: boolean): this {
    this.u8(hasAttributes ? 0x41 : 0x01).u16(0xffff).u32(0).name(n);
    return hasAttributes ? this.u32(0) : this;
  }
  attribute(n: string): this {
    return this.u8(0x06).name(n);
  }
  text(s: string): this {
    return this.u8(0x05).u8(0x01).u16(s.length).utf16(s);
  }
  sub(id: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d).u16(id).u8(type);
  }
  closeStart(): this {
    return this.u8(0x02);
  }
  closeEmpty(): this {
    return this.u8(0x03);
  }
  end(): this {
    return this.u8(0x04);
  }
  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * A value for a template instance: its BinXML type and raw bytes, or a function of the chunk
 * offset the bytes will land at (embedded BinXML needs it for inline names and templates; its
 * size must not depend on that offset).
 */
export interface SubstitutionValue {
  readonly type: number;
  readonly data: Buffer | ((at: number) => Buffer);
}

export const utf16Value = (s: string): SubstitutionValue => ({ type: 0x01, data: Buffer.from(s, 'utf16le') });
export const u16Value = (n: number): SubstitutionValue => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return { type: 0x06, data: b };
};

/**
 * The event data of one record: a fragment header and a template instance. With `defineAt`
 * undefined the definition is written inline (via `body`), otherwise the instance refers to
 * the definition already at that chunk offset.
 */
export function templateInstance(
  w: BinXmlWriter,
  body: ((w: BinXmlWriter) => void) | undefined,
  values: readonly SubstitutionValue[],
  defineAt?: number,
): number {
  w.u8(0x0f).u8(1).u8(1).u8(0);
  w.u8(0x0c).u8(1).u32(1);
  const defOffset = defineAt ?? w.pos + 4;
  w.u32(defOffset);
  if (defineAt === undefined && body !== undefined) {
    w.u32(0).raw(Buffer.alloc(16, 0xab));
    const sizeAt = w.pos;
    w.u32(0);
    const start = w.pos;
    w.u8(0x0f).u8(1).u8(1).u8(0);
    body(w);
    w.u8(0x00);
    w.patch32(sizeAt, w.pos - start);
  }
  w.u32(values.length);
  const sizes = values.map((v) => (typeof v.data === 'function' ? v.data(0).length : v.data.length));
  values.forEach((v, i) => w.u16(sizes[i] ?? 0).u8(v.type).u8(0));
  for (const v of values) w.raw(typeof v.data === 'function' ? v.data(w.pos) : v.data);
  return defOffset;
}

/** Embedded BinXML (type 0x21): a fragment whose elements carry no dependency id. */
export function embeddedValue(write: (w: BinXmlWriter) => void): SubstitutionValue {
  return {
    type: 0x21,
    data: (at) => {
      const w = new BinXmlWriter(at);
      w.u8(0x0f).u8(1).u8(1).u8(0);
      write(w);
      return w.u8(0x00).buffer();
    },
  };
}

/** Open start element outside a template definition (in a record or embedded BinXML): no dependency id. */
export function openDirect(w: BinXmlWriter, n: string): BinXmlWriter {
  return w.u8(0x01).u32(0).name(n);
}

/** A small Sysmon-like event: EventID, Computer and one named Data value. */
export function sampleBody(w: BinXmlWriter): void {
  w.open('Event', true).attribute('xmlns').text('http://schemas.microsoft.com/win/2004/08/events/event').closeStart();
  w.open('System', false).closeStart();
  w.open('EventID', false).closeStart().sub(0, 0x06).end();
  w.open('Computer', false).closeStart().sub(1, 0x01).end();
  w.open('Correlation', true).attribute('ActivityID').sub(3, 0x0f, true).closeEmpty();
  w.end();
  w.open('EventData', false).closeStart();
  w.open('Data', true).attribute('Name').text('CommandLine').closeStart().sub(2, 0x01).end();
  w.end();
  w.end();
}

export type RecordWriter = (w: BinXmlWriter) => void;

const FILETIME_SAMPLE = 133775000000000000n;

/** One chunk holding the given records, with correct sizes and CRC32s. */
export function buildChunk(records: readonly RecordWriter[], firstId: number): Buffer {
  const chunk = Buffer.alloc(CHUNK_SIZE);
  chunk.write('ElfChnk\0', 0, 'latin1');
  let pos = 512;
  let last = 512;
  records.forEach((write, i) => {
    const w = new BinXmlWriter(pos + 24);
    write(w);
    const body = w.buffer();
    const size = 24 + body.length + 4;
    chunk.writeUInt32LE(0x2a2a, pos);
    chunk.writeUInt32LE(size, pos + 4);
    chunk.writeBigUInt64LE(BigInt(firstId + i), pos + 8);
    chunk.writeBigUInt64LE(FILETIME_SAMPLE + BigInt(i) * 10_000_000n, pos + 16);
    body.copy(chunk, pos + 24);
    chunk.writeUInt32LE(size, pos + size - 4);
    last = pos;
    pos += size;
  });
  const lastId = BigInt(firstId + records.length - 1);
  chunk.writeBigUInt64LE(BigInt(firstId), 8);
  chunk.writeBigUInt64LE(lastId, 16);
  chunk.writeBigUInt64LE(BigInt(firstId), 24);
  chunk.writeBigUInt64LE(lastId, 32);
  chunk.writeUInt32LE(128, 40);
  chunk.writeUInt32LE(last, 44);
  chunk.writeUInt32LE(pos, 48);
  chunk.writeUInt32LE(crc32(chunk.subarray(512, pos)), 52);
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
  return chunk;
}

/** A file header (with CRC32) followed by the chunks. */
export function buildEvtx(chunks: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(FILE_HEADER_SIZE);
  header.write('ElfFile\0', 0, 'latin1');
  header.writeBigUInt64LE(BigInt(Math.max(0, chunks.length - 1)), 16);
  header.writeUInt32LE(128, 32);
  header.writeUInt16LE(1, 36);
  header.writeUInt16LE(3, 38);
  header.writeUInt16LE(FILE_HEADER_SIZE, 40);
  header.writeUInt16LE(chunks.length, 42);
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124);
  return Buffer.concat([header, ...chunks]);
}

/** Two records in one chunk: the first defines the template inline, the second reuses it. */
export function sampleChunk(firstId: number, commandLines: readonly [string, string]): Buffer {
  let defOffset = 0;
  return buildChunk(
    [
      (w) => {
        defOffset = templateInstance(w, sampleBody, [u16Value(1), utf16Value('ws-1'), utf16Value(commandLines[0]), { type: 0, data: Buffer.alloc(0) }]);
      },
      (w) => {
        templateInstance(w, undefined, [u16Value(1), utf16Value('ws-1'), utf16Value(commandLines[1]), { type: 0, data: Buffer.alloc(0) }], defOffset);
      },
    ],
    firstId,
  );
}

/**
 * Bounds-checked reading of one EVTX chunk and decoding of BinXML value types.
 *
 * Every offset inside BinXML (element names, template definitions) is relative to the start of
 * the 64 KiB chunk (libevtx "Windows XML Event Log (EVTX) format", section "Chunk"), so the
 * cursor works on the chunk slice and each read checks the bound it was given: hostile offsets
 * become a `VigilError`, never an out-of-range read.
 */
import { VigilError } from '../../core/errors.js';

/** A JSON scalar as evtx_dump prints it. */
export type EvtxScalar = string | number | boolean | null;

/** Embedded BinXML (value type 0x21): parsed lazily into nodes by the template module. */
export interface EmbeddedBinXml {
  readonly kind: 'binxml';
  readonly start: number;
  readonly end: number;
}

/** A decoded substitution or literal value. Arrays come from the 0x80 array flag. */
export type EvtxValue = EvtxScalar | readonly EvtxScalar[] | EmbeddedBinXml;

/** A damaged or hostile structure; the decoder turns it into an `EvtxDamage` entry. */
export function evtxFormatError(reason: string, offset?: number): VigilError {
  const where = offset === undefined ? undefined : `chunk offset ${offset}`;
  const message = `EVTX: ${reason}${where === undefined ? '' : ` (${where})`}; the file is damaged or not an EVTX log`;
  return new VigilError('bad-request', message, where === undefined ? {} : { where });
}

export class ChunkCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    /** Exclusive bound this cursor may read up to. */
    readonly end: number,
  ) {}

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw evtxFormatError(`read of ${n} bytes runs past its bound ${this.end}`, this.pos);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  peek(): number {
    this.need(1);
    return this.buf[this.pos] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** `count` UTF-16LE code units. */
  utf16(count: number): string {
    this.need(count * 2);
    const s = this.buf.toString('utf16le', this.pos, this.pos + count * 2);
    this.pos += count * 2;
    return s;
  }
}

const FILETIME_EPOCH_DIFF = 116444736000000000n;

/** FILETIME (100 ns ticks since 1601) → epoch milliseconds. */
export function filetimeToEpochMs(buf: Buffer, at: number): number {
  return Number((buf.readBigUInt64LE(at) - FILETIME_EPOCH_DIFF) / 10000n);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** evtx_dump prints FILETIME with microsecond precision: `2025-11-27T07:40:10.165324Z`. */
export function filetimeToIso(buf: Buffer, at: number): string {
  const ticks = buf.readBigUInt64LE(at) - FILETIME_EPOCH_DIFF;
  const micros = ticks / 10n;
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return `filetime:${buf.readBigUInt64LE(at).toString()}`;
  const sub = Number(((micros % 1000000n) + 1000000n) % 1000000n);
  return `${date.toISOString().slice(0, 19)}.${pad(sub, 6)}Z`;
}

/** SYSTEMTIME: eight u16 (year, month, weekday, day, hour, minute, second, milliseconds). */
function systemtimeToIso(buf: Buffer, at: number): string {
  const f = (i: number, width: number): string => pad(buf.readUInt16LE(at + i * 2), width);
  return `${f(0, 4)}-${f(1, 2)}-${f(3, 2)}T${f(4, 2)}:${f(5, 2)}:${f(6, 2)}.${pad(buf.readUInt16LE(at + 14) * 1000, 6)}Z`;
}

/** GUID as evtx_dump prints it: upper-case, no braces (Data1-3 little-endian, Data4 as bytes). */
export function guidAt(buf: Buffer, at: number): string {
  const hex = (from: number, to: number): string => buf.toString('hex', from, to);
  const le = (from: number, len: number): string => Buffer.from(buf.subarray(from, from + len)).reverse().toString('hex');
  return `${le(at, 4)}-${le(at + 4, 2)}-${le(at + 6, 2)}-${hex(at + 8, at + 10)}-${hex(at + 10, at + 16)}`.toUpperCase();
}

/** NT SID: revision, sub-authority count, 48-bit big-endian authority, 32-bit LE sub-authorities. */
function sidAt(buf: Buffer, at: number, size: number): string {
  if (size < 8) throw evtxFormatError('SID shorter than 8 bytes', at);
  const count = buf[at + 1] as number;
  if (8 + count * 4 > size) throw evtxFormatError('SID sub-authority count exceeds its size', at);
  const authority = buf.readUIntBE(at + 2, 6);
  let s = `S-${buf[at] as number}-${authority}`;
  for (let i = 0; i < count; i++) s += `-${buf.readUInt32LE(at + 8 + i * 4)}`;
  return s;
}

/** Real32 printed the shortest way that round-trips through float32, as Rust's serde does. */
function real32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === v) return c;
  }
  return v;
}

function stripNuls(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Fixed element sizes of the scalar types usable in arrays (libevtx "Value types"). */
const FIXED_SIZE: Readonly<Record<number, number>> = {
  0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8, 0x0b: 4, 0x0c: 8,
  0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8,
};

function fixedScalar(buf: Buffer, at: number, type: number, size: number): EvtxScalar {
  switch (type) {
    case 0x03: return buf.readInt8(at);
    case 0x04: return buf.readUInt8(at);
    case 0x05: return buf.readInt16LE(at);
    case 0x06: return buf.readUInt16LE(at);
    case 0x07: return buf.readInt32LE(at);
    case 0x08: return buf.readUInt32LE(at);
    case 0x09: return Number(buf.readBigInt64LE(at));
    case 0x0a: return Number(buf.readBigUInt64LE(at));
    case 0x0b: return real32(buf.readFloatLE(at));
    case 0x0c: return buf.readDoubleLE(at);
    case 0x0d: return buf.readUInt32LE(at) !== 0;
    case 0x0f: return guidAt(buf, at);
    case 0x10: return `0x${(size === 8 ? buf.readBigUInt64LE(at) : BigInt(buf.readUInt32LE(at))).toString(16)}`;
    case 0x11: return filetimeToIso(buf, at);
    case 0x12: return systemtimeToIso(buf, at);
    case 0x14: return `0x${buf.readUInt32LE(at).toString(16)}`;
    case 0x15: return `0x${buf.readBigUInt64LE(at).toString(16)}`;
    default: throw evtxFormatError(`unknown value type 0x${type.toString(16)}`, at);
  }
}

/**
 * Decodes `size` bytes at `at` as value type `type` (libevtx "Value types"; a substitution
 * descriptor gives both). Strings lose trailing NULs, as evtx_dump's do.
 */
export function decodeValue(buf: Buffer, at: number, size: number, type: number): EvtxValue {
  if (at + size > buf.length) throw evtxFormatError('value runs past the chunk', at);
  switch (type) {
    case 0x00: return null;
    case 0x01: return stripNuls(buf.toString('utf16le', at, at + (size & ~1)));
    case 0x02: return stripNuls(buf.toString('latin1', at, at + size));
    case 0x0e: return buf.toString('hex', at, at + size).toUpperCase();
    case 0x10:
      if (size !== 4 && size !== 8) throw evtxFormatError(`size_t of ${size} bytes`, at);
      return fixedScalar(buf, at, type, size);
    case 0x13: return sidAt(buf, at, size);
    case 0x21: return { kind: 'binxml', start: at, end: at + size };
    case 0x20: case 0x23: return null;
    case 0x81: {
      const text = buf.toString('utf16le', at, at + (size & ~1));
      const parts = text.split('\u0000');
      if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
      return parts;
    }
    case 0x93: {
      const out: string[] = [];
      let p = at;
      while (p + 8 <= at + size) {
        const n = 8 + (buf[p + 1] as number) * 4;
        out.push(sidAt(buf, p, Math.min(n, at + size - p)));
        p += n;
      }
      return out;
    }
    default: {
      if (type & 0x80) {
        const base = type & 0x7f;
        const width = FIXED_SIZE[base];
        if (width === undefined) throw evtxFormatError(`unsupported array value type 0x${type.toString(16)}`, at);
        const out: EvtxScalar[] = [];
        for (let p = at; p + width <= at + size; p += width) out.push(fixedScalar(buf, p, base, width));
        return out;
      }
      const width = FIXED_SIZE[type];
      if (width === undefined) throw evtxFormatError(`unknown value type 0x${type.toString(16)}`, at);
      if (size < width) throw evtxFormatError(`value of type 0x${type.toString(16)} needs ${width} bytes, has ${size}`, at);
      return fixedScalar(buf, at, type, size);
    }
  }
}

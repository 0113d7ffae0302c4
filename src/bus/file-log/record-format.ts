/**
 * On-disk record format of the embedded event log: a fixed header, then the payload.
 *
 *   magic u32 BE ('VGL1') | payload length u32 BE | event count u32 BE | CRC-32 of payload u32 BE | payload
 *
 * The magic lets a reader find the next record after a corrupt one; the CRC catches torn
 * writes and bit flips (it is not tamper evidence: that is a hash chain in the history issue);
 * the event count lets start-up know the backlog without parsing payloads.
 */
import { crc32 } from 'node:zlib';

export const RECORD_MAGIC = 0x56474c31;
export const HEADER_BYTES = 16;
/** Upper bound on one record's payload: a publish larger than this is refused. */
export const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

export interface RecordHeader {
  readonly length: number;
  readonly count: number;
  readonly crc: number;
}

export function encodeRecord(payload: Buffer, count: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(RECORD_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  header.writeUInt32BE(count, 8);
  header.writeUInt32BE(crc32(payload), 12);
  return header;
}

/** Reads a header at `offset` of `buf`; undefined when the bytes there are not a plausible header. */
export function decodeHeader(buf: Buffer, offset = 0): RecordHeader | undefined {
  if (buf.length - offset < HEADER_BYTES) return undefined;
  if (buf.readUInt32BE(offset) !== RECORD_MAGIC) return undefined;
  const length = buf.readUInt32BE(offset + 4);
  if (length > MAX_PAYLOAD_BYTES) return undefined;
  return { length, count: buf.readUInt32BE(offset + 8), crc: buf.readUInt32BE(offset + 12) };
}

export function payloadIntact(header: RecordHeader, payload: Buffer): boolean {
  return payload.length === header.length && crc32(payload) === header.crc;
}

/** A place in the log: segment number and byte offset inside it. */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

export function formatPosition(p: LogPosition): string {
  return `${p.segment}:${p.offset}`;
}

export function parsePosition(text: string): LogPosition | undefined {
  const m = /^(\d{1,15}):(\d{1,15})$/.exec(text);
  if (!m) return undefined;
  return { segment: Number(m[1]), offset: Number(m[2]) };
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

export function segmentFileName(segment: number): string {
  return `${String(segment).padStart(12, '0')}.wal`;
}

export const SEGMENT_FILE = /^(\d{12})\.wal$/;

/**
 * The EVTX file header (libevtx "File header"): 4096 bytes, of which the first 128 are used.
 *
 *   0  "ElfFile\0"            8  first chunk number (u64)   16 last chunk number (u64)
 *  24  next record id (u64)  32  header size (u32, 128)     36 minor / 38 major version (u16)
 *  40  header block size (u16, 4096)   42 number of chunks (u16)   120 flags   124 CRC32 of 0..120
 *
 * Only the signature is required to go on: chunks carry their own signatures and checksums, so a
 * damaged header is reported and the chunks are still read (a log copied while in use often has
 * a stale header).
 */
import { crc32 } from 'node:zlib';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const FILE_SIGNATURE = Buffer.from('ElfFile\0', 'latin1');

/** Something that could not be read, and where: the decoder records it and moves on. */
export interface EvtxDamage {
  /** Chunk index (0-based), or -1 for the file header. */
  readonly chunk: number;
  /** Byte offset in the file. */
  readonly offset: number;
  readonly reason: string;
}

export interface EvtxFileHeader {
  readonly chunkCount: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** Set when the log was not closed cleanly (flag 0x1, "dirty"). */
  readonly dirty: boolean;
}

/** Reads the header; returns undefined (with damage recorded) when this is not an EVTX file. */
export function readFileHeader(buf: Buffer, damage: EvtxDamage[]): EvtxFileHeader | undefined {
  if (buf.length < 128 || !buf.subarray(0, 8).equals(FILE_SIGNATURE)) {
    damage.push({ chunk: -1, offset: 0, reason: 'missing "ElfFile" signature: not an EVTX file, or its header is destroyed' });
    return undefined;
  }
  const stored = buf.readUInt32LE(124);
  if (crc32(buf.subarray(0, 120)) !== stored) {
    damage.push({ chunk: -1, offset: 124, reason: 'file header CRC32 mismatch; header values are not trusted, chunks are read anyway' });
  }
  return {
    chunkCount: buf.readUInt16LE(42),
    minorVersion: buf.readUInt16LE(36),
    majorVersion: buf.readUInt16LE(38),
    dirty: (buf.readUInt32LE(120) & 1) === 1,
  };
}

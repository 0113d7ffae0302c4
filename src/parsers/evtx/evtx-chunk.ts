/**
 * One 64 KiB chunk (libevtx "Chunk"): a 512-byte header, then event records up to the free
 * space offset. Header fields used here:
 *
 *   0 "ElfChnk\0"   40 header size (128)   44 last record offset   48 free space offset
 *  52 CRC32 of the record data (512 .. free space offset)   124 CRC32 of bytes 0..120 and 128..512
 * 128 common string offsets (64 × u32)   384 template pointers (32 × u32)
 *
 * The string and template tables are hash buckets that only speed up lookups: every BinXML
 * reference carries the chunk offset it needs, so the names and templates are read through
 * those offsets (and cached per chunk) instead.
 *
 * Records (libevtx "Event record"): 0x2a2a0000 signature, u32 size, u64 record id, FILETIME
 * written time, BinXML, and the size repeated in the last 4 bytes.
 */
import { crc32 } from 'node:zlib';
import { evtxFormatError, filetimeToEpochMs } from './binxml-reader.js';
import { ChunkContext, parseRecordBinXml } from './binxml-template.js';
import { CHUNK_SIZE, type EvtxDamage } from './evtx-file-header.js';
import { buildRecordTree, type JsonTree } from './evtx-record-tree.js';
import { errorMessage } from '../../core/errors.js';

const CHUNK_SIGNATURE = Buffer.from('ElfChnk\0', 'latin1');
const CHUNK_HEADER_SIZE = 512;
const RECORD_SIGNATURE = 0x00002a2a;
const RECORD_HEADER_SIZE = 24;

export interface EvtxRecord {
  readonly recordId: number;
  /** Written time from the record header (TimeCreated when that is zero), epoch milliseconds. */
  readonly timestamp: number;
  /** `{"Event": {...}}` as evtx_dump -o json prints it. */
  readonly event: JsonTree;
}

function headerCrc(chunk: Buffer): number {
  return crc32(chunk.subarray(128, CHUNK_HEADER_SIZE), crc32(chunk.subarray(0, 120)));
}

/**
 * The record's written time; some writers leave it zero (seen in evtx-attack-samples'
 * kerberos_pwd_spray_4771.evtx), and then the event's own TimeCreated stands in.
 */
function recordTime(chunk: Buffer, pos: number, event: JsonTree): number {
  if (chunk.readBigUInt64LE(pos + 16) !== 0n) return filetimeToEpochMs(chunk, pos + 16);
  const system = event['Event'];
  const created = typeof system === 'object' && system !== null && !Array.isArray(system) ? system['System'] : undefined;
  const tc = typeof created === 'object' && created !== null && !Array.isArray(created) ? created['TimeCreated'] : undefined;
  const attrs = typeof tc === 'object' && tc !== null && !Array.isArray(tc) ? tc['#attributes'] : undefined;
  const iso = typeof attrs === 'object' && attrs !== null && !Array.isArray(attrs) ? attrs['SystemTime'] : undefined;
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(ms) ? ms : filetimeToEpochMs(chunk, pos + 16);
}

/**
 * Decodes the records of one chunk into `out`. A chunk that is all zeros is unused space
 * (files are preallocated) and is skipped silently; any other damage is recorded.
 */
export function decodeChunk(chunk: Buffer, index: number, fileOffset: number, out: EvtxRecord[], damage: EvtxDamage[]): void {
  if (chunk.length < CHUNK_HEADER_SIZE) {
    damage.push({ chunk: index, offset: fileOffset, reason: `chunk truncated to ${chunk.length} bytes (needs ${CHUNK_SIZE})` });
    return;
  }
  if (!chunk.subarray(0, 8).equals(CHUNK_SIGNATURE)) {
    if (chunk.subarray(0, CHUNK_HEADER_SIZE).some((b) => b !== 0)) {
      damage.push({ chunk: index, offset: fileOffset, reason: 'missing "ElfChnk" signature; chunk skipped' });
    }
    return;
  }
  if (headerCrc(chunk) !== chunk.readUInt32LE(124)) {
    damage.push({ chunk: index, offset: fileOffset + 124, reason: 'chunk header CRC32 mismatch; chunk skipped' });
    return;
  }
  const freeSpace = chunk.readUInt32LE(48);
  if (freeSpace < CHUNK_HEADER_SIZE || freeSpace > CHUNK_SIZE) {
    damage.push({ chunk: index, offset: fileOffset + 48, reason: `free space offset ${freeSpace} outside the chunk; chunk skipped` });
    return;
  }
  const end = Math.min(freeSpace, chunk.length);
  if (end < freeSpace) {
    damage.push({ chunk: index, offset: fileOffset + chunk.length, reason: `chunk truncated at ${chunk.length} of ${freeSpace} used bytes` });
  } else if (crc32(chunk.subarray(CHUNK_HEADER_SIZE, freeSpace)) !== chunk.readUInt32LE(52)) {
    damage.push({ chunk: index, offset: fileOffset + 52, reason: 'record data CRC32 mismatch; records are checked one by one' });
  }
  const ctx = new ChunkContext(chunk);
  let pos = CHUNK_HEADER_SIZE;
  while (pos + RECORD_HEADER_SIZE <= end) {
    if (chunk.readUInt32LE(pos) !== RECORD_SIGNATURE) {
      damage.push({ chunk: index, offset: fileOffset + pos, reason: 'missing record signature 0x2a2a; rest of chunk skipped' });
      return;
    }
    const size = chunk.readUInt32LE(pos + 4);
    if (size < RECORD_HEADER_SIZE + 4 || pos + size > end || chunk.readUInt32LE(pos + size - 4) !== size) {
      damage.push({ chunk: index, offset: fileOffset + pos, reason: `record size ${size} is inconsistent or runs past the used chunk; rest of chunk skipped` });
      return;
    }
    try {
      const recordId = Number(chunk.readBigUInt64LE(pos + 8));
      const parts = parseRecordBinXml(ctx, pos + RECORD_HEADER_SIZE, pos + size - 4);
      const event = buildRecordTree(ctx, parts);
      if (Object.keys(event).length === 0) throw evtxFormatError('record holds no XML element', pos);
      out.push({ recordId, timestamp: recordTime(chunk, pos, event), event });
    } catch (e) {
      damage.push({ chunk: index, offset: fileOffset + pos, reason: `record skipped: ${errorMessage(e)}` });
    }
    pos += size;
  }
}

/**
 * Windows EVTX decoding, written by hand: no EVTX parser exists on npm (the reference
 * implementations are libevtx in C and omerbenamram/evtx in Rust), and the format is small.
 *
 * `decodeEvtx` never throws for damaged input: what cannot be read is described in `damage`
 * and skipped at the smallest unit that keeps the rest trustworthy (a record, else a chunk).
 * Work is linear in the input: each chunk is read once, each template definition parsed once
 * per chunk, and each record's expansion is capped (see evtx-record-tree.ts).
 */
import { CHUNK_SIZE, FILE_HEADER_SIZE, readFileHeader, type EvtxDamage } from './evtx-file-header.js';
import { decodeChunk, type EvtxRecord } from './evtx-chunk.js';

export type { EvtxDamage } from './evtx-file-header.js';
export type { EvtxRecord } from './evtx-chunk.js';
export type { JsonTree, JsonValue } from './evtx-record-tree.js';

export interface EvtxDecodeResult {
  /** Records in file order (chunk by chunk, as Windows wrote them). */
  readonly records: EvtxRecord[];
  readonly damage: EvtxDamage[];
}

/** Decodes a whole EVTX file held in memory. */
export function decodeEvtx(buffer: Buffer): EvtxDecodeResult {
  const records: EvtxRecord[] = [];
  const damage: EvtxDamage[] = [];
  const header = readFileHeader(buffer, damage);
  if (header === undefined) return { records, damage };
  // The header's chunk count is a u16 and can be stale in a dirty file, so the file length decides.
  for (let offset = FILE_HEADER_SIZE, index = 0; offset < buffer.length; offset += CHUNK_SIZE, index++) {
    const chunk = buffer.subarray(offset, Math.min(offset + CHUNK_SIZE, buffer.length));
    try {
      decodeChunk(chunk, index, offset, records, damage);
    } catch (e) {
      damage.push({ chunk: index, offset, reason: `chunk skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  const present = Math.ceil(Math.max(0, buffer.length - FILE_HEADER_SIZE) / CHUNK_SIZE);
  if (present < header.chunkCount) {
    damage.push({
      chunk: present,
      offset: buffer.length,
      reason: `file truncated: the header announces ${header.chunkCount} chunks, ${present} present`,
    });
  }
  return { records, damage };
}

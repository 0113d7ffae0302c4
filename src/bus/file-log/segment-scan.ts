/**
 * Start-up check of one log segment: walks its records, verifying each CRC. Damage followed
 * by intact records is corruption (a bit flip, a bad sector): the reader skips it later and
 * counts it. Damage with nothing intact after it is a write that never finished its fsync,
 * so it was never acknowledged and may be cut off.
 */
import { readFile } from 'node:fs/promises';
import { HEADER_BYTES, decodeHeader, payloadIntact } from './record-format.js';

export interface SegmentScan {
  readonly size: number;
  /** Offset just after the last intact record at or after `startAt`. */
  readonly validEnd: number;
  /** Events in the intact records from `startAt` on. */
  readonly events: number;
  /** Bytes between `startAt` and `validEnd` that belong to no intact record. */
  readonly damagedBytes: number;
}

/** Segments are bounded by the configured segment size, so reading one whole is affordable. */
export async function scanSegment(path: string, startAt = 0): Promise<SegmentScan> {
  const all = await readFile(path);
  const buf = all.subarray(Math.min(startAt, all.length));
  let offset = 0;
  let validEnd = 0;
  let events = 0;
  let damagedBytes = 0;
  let damageStart = -1;
  while (offset + HEADER_BYTES <= buf.length) {
    const header = decodeHeader(buf, offset);
    const end = header ? offset + HEADER_BYTES + header.length : -1;
    if (header && end <= buf.length && payloadIntact(header, buf.subarray(offset + HEADER_BYTES, end))) {
      if (damageStart >= 0) damagedBytes += offset - damageStart;
      damageStart = -1;
      events += header.count;
      offset = end;
      validEnd = end;
      continue;
    }
    if (damageStart < 0) damageStart = offset;
    offset += 1;
  }
  return { size: all.length, validEnd: Math.min(startAt, all.length) + validEnd, events, damagedBytes };
}

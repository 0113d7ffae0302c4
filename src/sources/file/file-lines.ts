/**
 * The lines of a file to import, whatever it holds: text files line by line, and Windows
 * `.evtx` files (recognised by their `ElfFile` signature, not their name) decoded into one
 * `evtx_dump`-shaped JSON line per record, which the JSON mapping then reads as a Windows
 * event. Damage in an .evtx file is reported through `onDamage`; the intact records still come.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { VigilError } from '../../core/errors.js';
import { decodeEvtx, type EvtxDamage } from '../../parsers/evtx/index.js';
import { readLines, type FileLine } from './line-reader.js';

const EVTX_MAGIC = Buffer.from('ElfFile\0', 'latin1');
/** decodeEvtx works on the whole file in memory. */
const MAX_EVTX_BYTES = 1024 * 1024 * 1024;

export async function isEvtxFile(path: string): Promise<boolean> {
  if (path === '-') return false;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    return bytesRead === 8 && head.equals(EVTX_MAGIC);
  } finally {
    await fh.close();
  }
}

export async function* fileLines(path: string, maxLineBytes: number, onDamage?: (damage: EvtxDamage) => void): AsyncGenerator<FileLine> {
  if (!(await isEvtxFile(path))) {
    yield* readLines(path === '-' ? (process.stdin as AsyncIterable<Buffer>) : createReadStream(path), maxLineBytes);
    return;
  }
  const buffer = await readFile(path);
  if (buffer.length > MAX_EVTX_BYTES) {
    throw new VigilError('payload-too-large', `${path} is larger than 1 GiB; split it (e.g. with wevtutil epl and a query) and import the parts`, { where: path });
  }
  const { records, damage } = decodeEvtx(buffer);
  for (const d of damage) onDamage?.(d);
  const share = records.length > 0 ? Math.floor(buffer.length / records.length) : 0;
  for (const [i, record] of records.entries()) {
    const text = JSON.stringify(record.event);
    // Progress is by file bytes: spread them over the records.
    const bytes = i === records.length - 1 ? buffer.length - share * (records.length - 1) : share;
    yield Buffer.byteLength(text) > maxLineBytes ? { text: text.slice(0, maxLineBytes), truncated: true, bytes } : { text, truncated: false, bytes };
  }
}

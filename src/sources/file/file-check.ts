/**
 * `vigil parsers check`: how well Vigil understands a file before it is sent: the format
 * detected, how many records became structured fields and how many would be kept raw, with a
 * few of the failures to look at. Reads only; stores nothing.
 */
import type { Event } from '../../core/event.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../http/ingest-context.js';
import type { RecordMapping } from '../http/record-mapping.js';
import { FileRecordMapper, detectFileFormat, type FileFormat } from './file-records.js';
import { fileLines, isEvtxFile } from './file-lines.js';

export interface FileCheck {
  readonly file: string;
  readonly format: FileFormat | 'evtx' | 'empty';
  readonly records: number;
  readonly parsed: number;
  readonly raw: number;
  readonly failures: readonly string[];
}

const MAX_LINE = 1024 * 1024;

/**
 * Reads a whole file as `vigil ingest` would, without storing: `onEvent` sees every event
 * (the corpus acceptance test checks their fields).
 */
export async function checkFile(file: string, format: FileFormat | 'auto', mapping: RecordMapping, onEvent?: (event: Event) => void): Promise<FileCheck> {
  let resolved: FileFormat | undefined = format === 'auto' ? undefined : format;
  let mapper: FileRecordMapper | undefined;
  const failures: string[] = [];
  let damaged = 0;
  const see = (event: Event) => {
    if (event.flags.includes('unparsed') && failures.length < 3) failures.push(event.original.slice(0, 200));
    onEvent?.(event);
  };
  for await (const line of fileLines(file, MAX_LINE, () => damaged++)) {
    if (line.text.trim() === '') continue;
    resolved ??= detectFileFormat(line.text);
    mapper ??= new FileRecordMapper(
      { tenant: 'check', input: 'file', path: file, maxLineBytes: MAX_LINE, mapping, limits: { maxJsonDepth: 64, maxFieldsPerEvent: DEFAULT_MAX_FIELDS_PER_EVENT } },
      resolved,
    );
    for (const event of mapper.take(line.text, line.truncated)) see(event);
  }
  for (const event of mapper?.flush() ?? []) see(event);
  const counts = mapper?.counts ?? { read: 0, unparsed: 0, truncated: 0 };
  const detected = (await isEvtxFile(file)) ? 'evtx' : (resolved ?? 'empty');
  if (damaged > 0) failures.push(`${damaged} damaged EVTX region(s) skipped`);
  return { file, format: detected, records: counts.read, parsed: counts.read - counts.unparsed, raw: counts.unparsed, failures };
}


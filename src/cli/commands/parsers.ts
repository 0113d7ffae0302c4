/**
 * `vigil parsers check`: how well Vigil understands a set of files, before sending them:
 * the format detected per file, how many records became structured fields and how many would
 * be kept raw, with a few of the failures to look at. Reads only; stores nothing.
 */
import { Command, Option } from 'commander';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../../sources/http/ingest-context.js';
import { FILE_FORMATS, FileRecordMapper, detectFileFormat, type FileFormat } from '../../sources/file/file-records.js';
import { fileLines, isEvtxFile } from '../../sources/file/file-lines.js';
import { escapeForTerminal } from '../terminal-escape.js';
import { inputFiles } from '../input-files.js';

export interface FileCheck {
  readonly file: string;
  readonly format: FileFormat | 'evtx' | 'empty';
  readonly records: number;
  readonly parsed: number;
  readonly raw: number;
  readonly failures: readonly string[];
}

const MAX_LINE = 1024 * 1024;

export async function checkFile(file: string, format: FileFormat | 'auto'): Promise<FileCheck> {
  let resolved: FileFormat | undefined = format === 'auto' ? undefined : format;
  let mapper: FileRecordMapper | undefined;
  const failures: string[] = [];
  let damaged = 0;
  for await (const line of fileLines(file, MAX_LINE, () => damaged++)) {
    if (line.text.trim() === '') continue;
    resolved ??= detectFileFormat(line.text);
    mapper ??= new FileRecordMapper(
      { tenant: 'check', input: 'file', path: file, maxLineBytes: MAX_LINE, mapping: jsonRecordMapping, limits: { maxJsonDepth: 64, maxFieldsPerEvent: DEFAULT_MAX_FIELDS_PER_EVENT } },
      resolved,
    );
    for (const event of mapper.take(line.text, line.truncated)) {
      if (event.flags.includes('unparsed') && failures.length < 3) failures.push(event.original.slice(0, 200));
    }
  }
  mapper?.flush();
  const counts = mapper?.counts ?? { read: 0, unparsed: 0, truncated: 0 };
  const detected = (await isEvtxFile(file)) ? 'evtx' : (resolved ?? 'empty');
  if (damaged > 0) failures.push(`${damaged} damaged EVTX region(s) skipped`);
  return { file, format: detected, records: counts.read, parsed: counts.read - counts.unparsed, raw: counts.unparsed, failures };
}

export function parsersCommand(): Command {
  const parsers = new Command('parsers').description('inspect how Vigil parses files (format detection, parse rate)');
  parsers
    .command('check')
    .description('per file: detected format, records, parsed into fields, kept raw, failure examples')
    .argument('<paths...>', 'files or folders')
    .addOption(new Option('--format <format>', 'force a format instead of detecting it').choices(['auto', ...FILE_FORMATS]).default('auto'))
    .option('--json', 'one JSON object per file: {"file","format","records","parsed","raw","failures"}')
    .action(async (paths: string[], options: { format: FileFormat | 'auto'; json?: boolean }) => {
      for (const file of inputFiles(paths)) {
        const check = await checkFile(file, options.format);
        if (options.json) {
          process.stdout.write(JSON.stringify(check) + '\n');
          continue;
        }
        const rate = check.records ? ((100 * check.parsed) / check.records).toFixed(1) : '-';
        process.stdout.write(escapeForTerminal(`${file}  ${check.format}  ${check.records} records, ${check.parsed} parsed (${rate} %), ${check.raw} raw`) + '\n');
        for (const f of check.failures) process.stdout.write(`    raw: ${escapeForTerminal(f)}\n`);
      }
    });
  return parsers;
}

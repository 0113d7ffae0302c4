/**
 * `vigil parsers check`: how well Vigil understands a set of files, before sending them:
 * the format detected per file, how many records became structured fields and how many would
 * be kept raw, with a few of the failures to look at. Reads only; stores nothing.
 */
import { Command, Option } from 'commander';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { FILE_FORMATS, type FileFormat } from '../../sources/file/file-records.js';
import { checkFile } from '../../sources/file/file-check.js';
import { escapeForTerminal } from '../terminal-escape.js';
import { inputFiles } from '../input-files.js';

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
        const check = await checkFile(file, options.format, jsonRecordMapping);
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

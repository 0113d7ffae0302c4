/**
 * `vigil ingest`: imports files through the same pipeline as live inputs. With a server
 * running on the data folder, lines go to it in chunks (`POST /api/v1/import`); without one,
 * the command runs the embedded pipeline itself and waits until every event is stored.
 */
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { pino } from 'pino';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { Metrics } from '../../core/metrics.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../../sources/http/ingest-context.js';
import { FILE_FORMATS, FileRecordMapper, detectFileFormat, type FileFormat, type FileRecordCounts } from '../../sources/file/file-records.js';
import { fileLines } from '../../sources/file/file-lines.js';
import type { ImportReply } from '../../sources/file/file-import-routes.js';
import { ensureDataFolder } from '../../server/data-folder.js';
import { openEmbeddedPipeline, syslogZone, type EmbeddedPipeline } from '../../server/vigil-server.js';
import { requireEmbedded, resolveTarget, type CommonOptions, type Target } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { inputFiles } from '../input-files.js';

interface IngestOptions extends CommonOptions {
  format: FileFormat | 'auto';
  json?: boolean;
  progress: boolean;
}

interface Summary extends FileRecordCounts {
  files: number;
  stored: number;
  seconds: number;
  via: 'server' | 'data folder';
}

const BATCH_EVENTS = 5000;
const CHUNK_BYTES = 4 * 1024 * 1024;

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('import log files (syslog, JSON, Windows .evtx, auditd, Zeek, web logs) through the pipeline, as live inputs are')
    .argument('<paths...>', 'files, folders (every file inside, recursively) or - for standard input')
    .addOption(new Option('--format <format>', 'line format; auto looks at the first line of each file').choices(['auto', ...FILE_FORMATS]).default('auto'))
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (paths: string[], options: IngestOptions) => {
      const files = inputFiles(paths);
      const target = resolveTarget(options);
      const started = performance.now();
      const totalBytes = files.reduce((sum, f) => sum + (f === '-' ? 0 : statSync(f).size), 0);
      const bar = options.progress && process.stderr.isTTY && totalBytes > 1024 * 1024
        ? new SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} bytes | {events} events', stream: process.stderr }, Presets.shades_classic)
        : undefined;
      bar?.start(totalBytes, 0, { events: 0 });
      const progress = { bytes: 0, events: 0, tick(bytes: number, events: number) {
        this.bytes += bytes;
        this.events += events;
        bar?.update(this.bytes, { events: this.events });
      } };

      const counts: FileRecordCounts = { read: 0, unparsed: 0, truncated: 0 };
      let stored = 0;
      try {
        if (target.server) {
          for (const file of files) addCounts(counts, await importViaServer(target, file, options.format, progress));
          stored = counts.read;
        } else {
          stored = await importLocally(target, files, options.format, counts, progress);
        }
      } finally {
        bar?.stop();
      }
      const summary: Summary = {
        files: files.length,
        ...counts,
        stored,
        seconds: Math.round((performance.now() - started) / 10) / 100,
        via: target.server ? 'server' : 'data folder',
      };
      if (options.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(
          `imported ${summary.files} file(s): ${summary.read} events read, ${summary.stored} stored, ` +
            `${summary.unparsed} unparsed (stored raw), ${summary.truncated} truncated, in ${summary.seconds} s (via ${summary.via})\n`,
        );
      }
    });
}

function addCounts(into: FileRecordCounts, more: FileRecordCounts): void {
  into.read += more.read;
  into.unparsed += more.unparsed;
  into.truncated += more.truncated;
}

/** Text lines, or one JSON line per record of an .evtx file; damage is reported, not fatal. */
function linesOf(file: string, maxLineBytes: number) {
  return fileLines(file, maxLineBytes, (d) => process.stderr.write(`vigil: ${file}: damaged EVTX data (chunk ${d.chunk}, offset ${d.offset}): ${d.reason}; the rest is imported\n`));
}

/** The format of a file: given, or from its first non-blank line. */
async function* linesWithFormat(file: string, format: FileFormat | 'auto', maxLineBytes: number) {
  let resolved: FileFormat | undefined = format === 'auto' ? undefined : format;
  for await (const line of linesOf(file, maxLineBytes)) {
    if (!resolved && line.text.trim() !== '') resolved = detectFileFormat(line.text);
    yield { line, format: resolved ?? 'syslog' };
  }
}

async function importViaServer(target: Target, file: string, format: FileFormat | 'auto', progress: { tick(b: number, e: number): void }): Promise<FileRecordCounts> {
  const server = target.server!;
  const counts: FileRecordCounts = { read: 0, unparsed: 0, truncated: 0 };
  let chunk: string[] = [];
  let chunkBytes = 0;
  let chunkFormat: FileFormat = 'syslog';
  const flush = async () => {
    if (chunk.length === 0) return;
    const params = new URLSearchParams({ format: chunkFormat, path: file });
    const reply = await server.call<ImportReply>('POST', `/api/v1/import?${params}`, chunk.join('\n') + '\n', { 'content-type': 'text/plain' });
    addCounts(counts, reply);
    progress.tick(chunkBytes, reply.read);
    chunk = [];
    chunkBytes = 0;
  };
  for await (const { line, format: f } of linesWithFormat(file, format, target.config.http.maxEventBytes)) {
    chunkFormat = f;
    chunk.push(line.text);
    chunkBytes += line.bytes;
    // A JSON document must reach the server whole; line formats go in chunks.
    if (chunkBytes >= CHUNK_BYTES && f !== 'json-document') await flush();
  }
  await flush();
  return counts;
}

async function importLocally(
  target: Target,
  files: string[],
  format: FileFormat | 'auto',
  counts: FileRecordCounts,
  progress: { tick(b: number, e: number): void },
): Promise<number> {
  requireEmbedded(target, 'ingest');
  ensureDataFolder(target.folder);
  const metrics = new Metrics();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const config = target.config;
  const zone = syslogZone(config);
  const embedded: EmbeddedPipeline = await openEmbeddedPipeline(config, target.folder, metrics, log);
  try {
    for (const file of files) {
      const mapper = new FileRecordMapper(
        {
          tenant: config.tenant,
          input: 'file',
          path: file,
          maxLineBytes: config.http.maxEventBytes,
          mapping: jsonRecordMapping,
          limits: { maxJsonDepth: config.http.maxJsonDepth, maxFieldsPerEvent: DEFAULT_MAX_FIELDS_PER_EVENT },
          zone,
        },
        format,
      );
      let batch: Event[] = [];
      let batchBytes = 0;
      for await (const line of linesOf(file, config.http.maxEventBytes)) {
        batchBytes += line.bytes;
        batch.push(...mapper.take(line.text, line.truncated));
        if (batch.length >= BATCH_EVENTS) {
          await submitPatiently(embedded, batch);
          progress.tick(batchBytes, batch.length);
          batch = [];
          batchBytes = 0;
        }
      }
      batch.push(...mapper.flush());
      await submitPatiently(embedded, batch);
      progress.tick(batchBytes, batch.length);
      addCounts(counts, mapper.counts);
    }
    await embedded.pipeline.whenIdle();
  } finally {
    await embedded.close();
  }
  return (await metrics.stored.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** A file import waits for the store instead of failing when the backlog is full. */
async function submitPatiently(embedded: EmbeddedPipeline, events: readonly Event[]): Promise<void> {
  if (events.length === 0) return;
  for (;;) {
    try {
      return await embedded.pipeline.submit(events);
    } catch (error) {
      if (!(error instanceof VigilError && error.code === 'overloaded')) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

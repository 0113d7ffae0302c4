/**
 * `POST /api/v1/import?format=auto|syslog|json|…&path=NAME`: lines of a log file over HTTP. It is
 * how `vigil ingest` sends a file through a running server (which holds the DuckDB file, so the
 * CLI cannot open it), and how any sender posts raw text lines. The body is a chunk of whole
 * lines of one file; each line is mapped exactly as `vigil ingest` maps it without a server,
 * and the answer comes once the chunk is durable. Without `format` (or with `auto`), the format
 * is detected from the body's first line, and stray lines each on their own.
 */
import type { FastifyInstance } from 'fastify';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import type { TimeZone } from '../../parsers/syslog/syslog-parser.js';
import { mappingLimits, submitEvents, type IngestContext } from '../http/ingest-context.js';
import { readBody } from '../http/request-body.js';
import { principalOf } from '../http/route-access.js';
import { FILE_FORMATS, FileRecordMapper, type FileFormat } from './file-records.js';
import { readLines } from './line-reader.js';

const INPUT = 'file';

export interface ImportReply {
  readonly read: number;
  readonly unparsed: number;
  readonly truncated: number;
}

export async function fileImportRoutes(app: FastifyInstance, ctx: IngestContext, options: { maxLineBytes: number; zone?: TimeZone }): Promise<void> {
  app.post('/api/v1/import', { config: { access: 'ingest', input: INPUT } }, async (request): Promise<ImportReply> => {
    const principal = principalOf(request);
    const query = request.query as Record<string, string | undefined>;
    const format = query.format ?? 'auto';
    if (format !== 'auto' && !FILE_FORMATS.includes(format as FileFormat)) {
      ctx.metrics.drop(INPUT, 'malformed');
      throw new VigilError('bad-request', `format must be auto or one of ${FILE_FORMATS.join(', ')}`, { where: 'query format' });
    }
    const path = (query.path ?? '-').slice(0, 4096);
    const body = await readBody(ctx, request, INPUT);
    const mapper = new FileRecordMapper(
      { tenant: principal.tenant, input: INPUT, path, maxLineBytes: options.maxLineBytes, mapping: ctx.mapping, limits: mappingLimits(ctx.limits), zone: options.zone },
      format as FileFormat | 'auto',
    );
    const events: Event[] = [];
    const received = Date.now();
    for await (const line of readLines([body], options.maxLineBytes)) {
      events.push(...mapper.take(line.text, line.truncated, received));
    }
    events.push(...mapper.flush(received));
    ctx.metrics.received.inc({ input: INPUT }, events.length);
    if (mapper.counts.unparsed) ctx.metrics.parseFailed.inc({ input: INPUT }, mapper.counts.unparsed);
    if (mapper.counts.truncated) ctx.metrics.truncated.inc({ input: INPUT }, mapper.counts.truncated);
    await submitEvents(ctx, INPUT, events);
    return { ...mapper.counts };
  });
}

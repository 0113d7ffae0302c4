/**
 * `POST /api/v1/ingest`: Vigil's own JSON/NDJSON input. The whole body is parsed and mapped
 * before anything is submitted, so a request is stored entirely or not at all; the answer
 * (`{ accepted, ids }`) comes only once the sink says the events are durable, and the ids let
 * a sender keep a ledger of what was acknowledged.
 */
import type { FastifyInstance } from 'fastify';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { CooperativeYield } from './cooperative-yield.js';
import { buildEvent, eventSource, malformed, mappingLimits, submitEvents, type IngestContext } from './ingest-context.js';
import { IngestRecordError, ingestRecords } from './ingest-body.js';
import { readBody } from './request-body.js';
import { ensureWholeBody } from './body-reader.js';
import type { MappedRecord } from './record-mapping.js';
import { principalOf } from './route-access.js';

export interface IngestReply {
  readonly accepted: number;
  readonly ids: readonly string[];
}

const INPUT = 'http';

export async function parseIngestRequest(
  ctx: IngestContext,
  body: Buffer,
  base: { tenant: string; received: number; source: Event['source'] },
): Promise<Event[]> {
  const limits = mappingLimits(ctx.limits);
  const events: Event[] = [];
  const pacing = new CooperativeYield();
  try {
    for (const record of ingestRecords(body, limits.maxJsonDepth)) {
      let mapped: MappedRecord;
      try {
        mapped = ctx.mapping.json(record.value, limits);
      } catch (error) {
        throw new IngestRecordError(record.position, (error as Error).message, events.length + 1);
      }
      events.push(buildEvent(ctx, { ...base, format: 'json' }, record.original, mapped));
      if (pacing.due()) await pacing.pause();
    }
  } catch (error) {
    if (!(error instanceof IngestRecordError)) throw error;
    ctx.metrics.received.inc({ input: INPUT }, error.seen);
    ctx.metrics.drop(INPUT, 'malformed', error.seen);
    throw malformed(error.position, error.reason);
  }
  ctx.metrics.received.inc({ input: INPUT }, events.length);
  return events;
}

export async function ingestRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  app.post('/api/v1/ingest', { config: { access: 'ingest', input: INPUT, bodyShape: 'ingest' } }, async (request): Promise<IngestReply> => {
    const principal = principalOf(request);
    const received = Date.now();
    const body = await readBody(ctx, request, INPUT);
    const events = await parseIngestRequest(ctx, body, {
      tenant: principal.tenant,
      received,
      source: eventSource(request, INPUT, 'http-ingest'),
    });
    if (events.length === 0) {
      ctx.metrics.drop(INPUT, 'malformed');
      throw new VigilError('bad-request', 'the body holds no events; send NDJSON, a JSON array of objects or one JSON object', { where: 'body' });
    }
    ensureWholeBody(request);
    await submitEvents(ctx, INPUT, events);
    return { accepted: events.length, ids: events.map((event) => event.id) };
  });
}

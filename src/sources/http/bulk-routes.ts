/**
 * Elasticsearch `_bulk` (`POST|PUT /_bulk`, `/:index/_bulk`): stores `index` and `create`
 * documents and answers in Elasticsearch's format, item by item, once they are durable. A
 * malformed line refuses the whole request (400) and stores nothing, as Elasticsearch does for
 * a body it cannot parse.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { BulkBodyError, bulkItems, type BulkAction } from './bulk-body.js';
import { CooperativeYield } from './cooperative-yield.js';
import { buildEvent, eventSource, malformed, mappingLimits, submitEvents, type IngestContext } from './ingest-context.js';
import { readBody } from './request-body.js';
import { ensureWholeBody } from './body-reader.js';
import type { MappedRecord } from './record-mapping.js';
import { principalOf } from './route-access.js';

const INPUT = 'bulk';
const SHARDS = { total: 1, successful: 1, failed: 0 } as const;

type BulkItemReply = Record<string, Record<string, unknown>>;

export interface BulkReply {
  readonly took: number;
  readonly errors: boolean;
  readonly items: readonly BulkItemReply[];
}

function unsupported(action: BulkAction, index: string | undefined, id: string | undefined): BulkItemReply {
  return {
    [action]: {
      _index: index ?? '',
      _id: id ?? null,
      status: 400,
      error: {
        type: 'illegal_argument_exception',
        reason: `Vigil stores events append-only: "${action}" is not supported; send "index" or "create"`,
      },
    },
  };
}

export async function bulkRoutes(app: FastifyInstance, ctx: IngestContext): Promise<void> {
  // Elasticsearch hands out a sequence number per shard; one per server is as good for clients.
  let seqNo = 0;

  async function handle(request: FastifyRequest<{ Params: { index?: string } }>): Promise<BulkReply> {
    const started = Date.now();
    const principal = principalOf(request);
    const body = await readBody(ctx, request, INPUT);
    const base = { tenant: principal.tenant, received: started, source: eventSource(request, INPUT, 'elastic-bulk'), format: 'bulk' as const };
    const limits = mappingLimits(ctx.limits);
    const pacing = new CooperativeYield();
    const events: Event[] = [];
    /** Per item: the event stored for it, or the error reply. */
    const outcomes: Array<{ action: BulkAction; index: string | undefined; id: string | undefined; event?: Event; reply?: BulkItemReply }> = [];
    let seen = 0;
    try {
      for (const item of bulkItems(body, limits.maxJsonDepth, request.params.index)) {
        seen++;
        if (!item.document) {
          outcomes.push({ ...item, reply: unsupported(item.action, item.index, item.id) });
          continue;
        }
        let mapped: MappedRecord;
        try {
          mapped = ctx.mapping.bulk(item.document.value, { index: item.index, id: item.id }, limits);
        } catch (error) {
          throw new BulkBodyError(item.document.line, (error as Error).message, seen);
        }
        const event = buildEvent(ctx, base, item.document.original, mapped);
        events.push(event);
        outcomes.push({ ...item, event });
        if (pacing.due()) await pacing.pause();
      }
    } catch (error) {
      if (!(error instanceof BulkBodyError)) throw error;
      ctx.metrics.received.inc({ input: INPUT }, error.seen);
      ctx.metrics.drop(INPUT, 'malformed', error.seen);
      throw malformed(`line ${error.line}`, error.reason);
    }
    if (outcomes.length === 0) {
      ctx.metrics.drop(INPUT, 'malformed');
      throw new VigilError('bad-request', 'the _bulk body holds no actions; send NDJSON action and source lines', { where: 'body' });
    }
    ctx.metrics.received.inc({ input: INPUT }, outcomes.length);
    const refused = outcomes.length - events.length;
    if (refused > 0) ctx.metrics.drop(INPUT, 'malformed', refused);
    ensureWholeBody(request);

    await submitEvents(ctx, INPUT, events);

    const items = outcomes.map((outcome): BulkItemReply => {
      if (outcome.reply) return outcome.reply;
      return {
        [outcome.action]: {
          _index: outcome.index ?? '',
          _id: outcome.id ?? outcome.event?.id,
          _version: 1,
          result: 'created',
          _shards: SHARDS,
          _seq_no: seqNo++,
          _primary_term: 1,
          status: 201,
        },
      };
    });
    return { took: Date.now() - started, errors: refused > 0, items };
  }

  const config = { access: 'ingest', input: INPUT, bodyShape: 'ndjson' } as const;
  for (const method of ['POST', 'PUT'] as const) {
    app.route({ method, url: '/_bulk', config, handler: handle });
    app.route({ method, url: '/:index/_bulk', config, handler: handle });
  }
}

/**
 * Splunk HTTP Event Collector compatibility: `/services/collector[/event][/1.0]` (JSON
 * envelopes), `/services/collector/raw[/1.0]` (lines of text) and the unauthenticated
 * `/services/collector/health`, answering with HEC's `{ text, code }` bodies so Splunk logging
 * libraries, Vector's `splunk_hec_logs`, Fluent Bit's `splunk` and the OpenTelemetry collector
 * work unchanged. Unlike Splunk's default, 200 is sent only once the events are durable.
 * Splunk's `error` field is joined by Vigil's own `{ code, message, where }` so a human reading
 * the reply learns what to fix.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Event } from '../../core/event.js';
import type { VigilError } from '../../core/errors.js';
import { CooperativeYield } from './cooperative-yield.js';
import { HecCode, HecError, hecEvents, hecRawLines, type HecEventText } from './hec-body.js';
import { errorBody, logRefusal, prepareRefusal, toVigilError } from './http-errors.js';
import { buildEvent, eventSource, mappingLimits, submitEvents, type IngestContext } from './ingest-context.js';
import type { HecEnvelope, MappedRecord } from './record-mapping.js';
import { readBody } from './request-body.js';
import { ensureWholeBody } from './body-reader.js';
import { principalOf } from './route-access.js';

const INPUT = 'hec';
const EVENT_PATHS = ['/services/collector', '/services/collector/event', '/services/collector/event/1.0'];
const RAW_PATHS = ['/services/collector/raw', '/services/collector/raw/1.0'];
const HEALTH_PATHS = ['/services/collector/health', '/services/collector/health/1.0'];

export interface HecRouteOptions {
  /** Overall health; HEC health answers 503 (code 18) when it is not ok. */
  readonly health?: (() => { ok: boolean }) | undefined;
}

export interface HecReply {
  readonly text: string;
  readonly code: number;
  readonly 'invalid-event-number'?: number;
}

function hecErrorReply(error: VigilError, request: FastifyRequest): HecReply & ReturnType<typeof errorBody> {
  const vigil = errorBody(error);
  if (error instanceof HecError) {
    const reply = { text: error.hecText, code: error.hecCode, ...vigil };
    return error.eventNumber === undefined ? reply : { ...reply, 'invalid-event-number': error.eventNumber };
  }
  switch (error.code) {
    case 'unauthorized':
      return request.headers.authorization === undefined
        ? { text: 'Token is required', code: HecCode.tokenRequired, ...vigil }
        : { text: 'Invalid token', code: HecCode.invalidToken, ...vigil };
    case 'forbidden':
      return { text: 'Token is not permitted to send events', code: HecCode.invalidToken, ...vigil };
    case 'bad-request':
    case 'payload-too-large':
      return { text: 'Invalid data format', code: HecCode.invalidDataFormat, ...vigil };
    case 'overloaded':
    case 'store-unavailable':
    case 'data-locked':
      return { text: 'Server is busy', code: HecCode.serverBusy, ...vigil };
    default:
      return { text: 'Internal server error', code: HecCode.serverError, ...vigil };
  }
}

function queryText(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function toEvents(
  ctx: IngestContext,
  request: FastifyRequest,
  records: Iterable<HecEventText>,
  format: 'hec' | 'raw',
): Promise<Event[]> {
  const principal = principalOf(request);
  const base = { tenant: principal.tenant, received: Date.now(), source: eventSource(request, INPUT, 'splunk-hec'), format };
  const limits = mappingLimits(ctx.limits);
  const pacing = new CooperativeYield();
  const events: Event[] = [];
  try {
    for (const record of records) {
      let mapped: MappedRecord;
      try {
        mapped = ctx.mapping.hec(record.envelope, limits);
      } catch (error) {
        throw new HecError(HecCode.invalidDataFormat, 'Invalid data format', `event ${record.index}: ${(error as Error).message}`, record.index);
      }
      events.push(buildEvent(ctx, base, record.original, mapped));
      if (pacing.due()) await pacing.pause();
    }
  } catch (error) {
    if (error instanceof HecError) {
      ctx.metrics.received.inc({ input: INPUT }, error.seen);
      ctx.metrics.drop(INPUT, 'malformed', error.seen);
    }
    throw error;
  }
  ctx.metrics.received.inc({ input: INPUT }, events.length);
  return events;
}

function* rawRecords(request: FastifyRequest, body: Buffer): Generator<HecEventText> {
  const meta = {
    host: queryText(request, 'host'),
    source: queryText(request, 'source'),
    sourcetype: queryText(request, 'sourcetype'),
    index: queryText(request, 'index'),
  };
  let any = false;
  for (const line of hecRawLines(body)) {
    any = true;
    const envelope: HecEnvelope = { event: line.text, ...meta };
    yield { index: line.index, original: line.text, envelope };
  }
  if (!any) throw new HecError(HecCode.noData, 'No data', 'the body holds no events');
}

const SUCCESS: HecReply = { text: 'Success', code: HecCode.success };

export async function hecRoutes(app: FastifyInstance, ctx: IngestContext, options: HecRouteOptions = {}): Promise<void> {
  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const vigilError = toVigilError(error, request, ctx.metrics);
    prepareRefusal(reply, request, vigilError);
    logRefusal(ctx.log, request, vigilError);
    // Not returned: see the error handler in src/api/http-server.ts.
    reply.status(vigilError.status).send(hecErrorReply(vigilError, request));
  });

  const config = { access: 'ingest', input: INPUT } as const;
  for (const url of EVENT_PATHS) {
    app.post(url, { config: { ...config, bodyShape: 'concatenated-json' } }, async (request): Promise<HecReply> => {
      const body = await readBody(ctx, request, INPUT);
      const events = await toEvents(ctx, request, hecEvents(body, ctx.limits.maxJsonDepth), 'hec');
      ensureWholeBody(request);
      await submitEvents(ctx, INPUT, events);
      return SUCCESS;
    });
  }
  for (const url of RAW_PATHS) {
    app.post(url, { config }, async (request): Promise<HecReply> => {
      const body = await readBody(ctx, request, INPUT);
      const events = await toEvents(ctx, request, rawRecords(request, body), 'raw');
      await submitEvents(ctx, INPUT, events);
      return SUCCESS;
    });
  }
  // Unauthenticated as in Splunk: load balancers probe it, and it reveals only up or busy.
  for (const url of HEALTH_PATHS) {
    app.get(url, { config: { access: 'public', input: INPUT } }, async (_request, reply): Promise<HecReply> => {
      if (options.health && !options.health().ok) {
        reply.status(503);
        return { text: 'HEC is unhealthy, queues are full', code: HecCode.unhealthy };
      }
      return { text: 'HEC is healthy', code: HecCode.healthy };
    });
  }
}

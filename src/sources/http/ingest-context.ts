/**
 * What every ingest route shares: limits, the sink, metrics, the record mapping, and the one
 * way a parsed request becomes durable events (`submitEvents`).
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Event, EventFlag, EventSource, SourceKind } from '../../core/event.js';
import { createEvent } from '../../core/event.js';
import type { EventSink } from '../../core/source.js';
import type { Metrics } from '../../core/metrics.js';
import { VigilError, isVigilError } from '../../core/errors.js';
import type { MappedRecord, MappingLimits, RecordMapping } from './record-mapping.js';
import type { HttpInput } from './route-access.js';

export interface IngestLimits {
  /** Largest body as sent (fastify `bodyLimit`). */
  readonly maxBodyBytes: number;
  /** Largest body after gunzip. */
  readonly maxInflatedBytes: number;
  /** Longer originals are cut to this many bytes and flagged `truncated`. */
  readonly maxEventBytes: number;
  readonly maxJsonDepth: number;
  /** Fields per event past which keys are dropped and the event flagged `truncated`. */
  readonly maxFieldsPerEvent: number;
}

export const DEFAULT_MAX_FIELDS_PER_EVENT = 1024;

export interface IngestContext {
  readonly sink: EventSink;
  readonly metrics: Metrics;
  readonly limits: IngestLimits;
  readonly mapping: RecordMapping;
  readonly log?: Logger | undefined;
}

export function mappingLimits(limits: IngestLimits): MappingLimits {
  return { maxJsonDepth: limits.maxJsonDepth, maxFieldsPerEvent: limits.maxFieldsPerEvent };
}

/** `ip:port` of the peer, IPv6 in brackets; undefined once the socket is gone. */
export function remoteAddress(request: FastifyRequest): string | undefined {
  const { remoteAddress: ip, remotePort: port } = request.socket;
  if (ip === undefined) return undefined;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

export function eventSource(request: FastifyRequest, input: HttpInput, kind: SourceKind): EventSource {
  const address = remoteAddress(request);
  return address === undefined ? { input, kind } : { input, kind, address };
}

/**
 * Cuts `original` to at most `maxBytes` of UTF-8 without splitting a character. Returns
 * undefined when it already fits.
 */
export function truncateOriginal(original: string, maxBytes: number): string | undefined {
  // Cheap check first: a UTF-8 string is at most 3 bytes per UTF-16 unit.
  if (original.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.from(original, 'utf8');
  if (bytes.length <= maxBytes) return undefined;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/** Builds the Event for one mapped record, truncating its original when over the limit. */
export function buildEvent(
  ctx: IngestContext,
  base: { tenant: string; received: number; source: EventSource; format: Event['format'] },
  original: string,
  mapped: MappedRecord,
): Event {
  let flags: readonly EventFlag[] = mapped.flags;
  let text = original;
  const cut = truncateOriginal(original, ctx.limits.maxEventBytes);
  if (cut !== undefined) {
    text = cut;
    if (!flags.includes('truncated')) flags = [...flags, 'truncated'];
  }
  if (flags.includes('truncated')) ctx.metrics.truncated.inc({ input: base.source.input });
  return createEvent({
    tenant: base.tenant,
    received: base.received,
    source: base.source,
    format: base.format,
    original: text,
    fields: mapped.fields,
    time: mapped.time,
    flags,
  });
}

/** A record that cannot be stored; `position` names it for the client (`line 3`, `event 0`). */
export function malformed(position: string, reason: string): VigilError {
  return new VigilError('bad-request', `${position}: ${reason}; nothing from this request was stored, fix the record and resend`, {
    where: `body ${position}`,
  });
}

/**
 * Hands the whole request's events to the sink and resolves once they are durable. Counts
 * losses; a rejection becomes `overloaded` (503, retry later) or `store-unavailable`.
 */
export async function submitEvents(ctx: IngestContext, input: HttpInput, events: readonly Event[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await ctx.sink.submit(events);
  } catch (error) {
    if (isVigilError(error) && error.code === 'overloaded') {
      ctx.metrics.drop(input, 'overloaded', events.length);
      throw new VigilError('overloaded', 'Vigil is behind on storing events; retry this request later (nothing from it was stored)', {
        cause: error,
      });
    }
    ctx.metrics.drop(input, 'store-error', events.length);
    ctx.log?.error({ err: error, input, events: events.length }, 'ingest: submitting events failed');
    throw new VigilError('store-unavailable', 'Vigil could not make these events durable; retry this request later', {
      cause: error,
    });
  }
}

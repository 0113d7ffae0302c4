/**
 * One syslog message to one Event: the mapping shared by the UDP, TCP and TLS listeners and by
 * file import (`vigil ingest`), so a line means the same whichever way it arrived.
 */
import { createEvent, type Event, type EventFlag, type EventSource, type SourceKind } from '../../core/event.js';
import type { Metrics } from '../../core/metrics.js';
import type { TimeZone } from '../../parsers/syslog/syslog-parser.js';
import { parseLine, type LineFormat } from '../../parsers/line/line-parser.js';
import type { MappingLimits } from '../http/record-mapping.js';
import { utf8Boundary } from './utf8-boundary.js';

export interface SyslogEventContext {
  readonly tenant: string;
  /** Zone for timestamps without an offset; UTC when absent. */
  readonly zone?: TimeZone | undefined;
  /** How to read each message; `auto` (the default) detects it per message. */
  readonly format?: LineFormat | undefined;
  /** Bounds for messages that are JSON objects. */
  readonly limits?: MappingLimits | undefined;
}

/** Maps a message already cut to size; `truncated` says whether it was cut. */
export function syslogMessageToEvent(text: string, truncated: boolean, received: number, source: EventSource, context: SyslogEventContext): Event {
  const parsed = parseLine(text, context.format ?? 'auto', received, context);
  let flags: readonly EventFlag[] = parsed.flags;
  if (truncated) flags = [...flags, 'truncated'];
  return createEvent({
    tenant: context.tenant,
    received,
    time: parsed.time,
    source,
    format: parsed.format,
    original: text,
    fields: parsed.fields,
    flags,
  });
}

/** Counts one mapped event the way every syslog input does: received, and why it falls short. */
export function countSyslogEvent(metrics: Metrics, input: string, event: Event): void {
  metrics.received.inc({ input });
  for (const flag of event.flags) {
    if (flag === 'unparsed') metrics.parseFailed.inc({ input });
    else if (flag === 'truncated') metrics.truncated.inc({ input });
  }
}

export interface SyslogLineOptions extends SyslogEventContext {
  /** Input name, e.g. `file:/var/log/auth.log`. */
  readonly input: string;
  readonly received: number;
  /** Longer lines are cut (on a UTF-8 boundary) and flagged `truncated`. */
  readonly maxMessageBytes: number;
  /** File path or peer; absent when unknown. */
  readonly address?: string | undefined;
  readonly kind?: SourceKind;
}

/**
 * One line of a syslog file (or any single message) as an Event, exactly as a listener would
 * map it. Trailing CR/LF is dropped. The caller skips blank lines and counts the event (see
 * `countSyslogEvent`).
 */
export function syslogLineToEvent(line: string, options: SyslogLineOptions): Event {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x0a || line.charCodeAt(end - 1) === 0x0d)) end--;
  let text = end === line.length ? line : line.slice(0, end);
  let truncated = false;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short lines skip the byte count.
  if (text.length * 3 > options.maxMessageBytes && Buffer.byteLength(text, 'utf8') > options.maxMessageBytes) {
    const bytes = Buffer.from(text, 'utf8');
    text = bytes.toString('utf8', 0, utf8Boundary(bytes, options.maxMessageBytes));
    truncated = true;
  }
  const source: EventSource = {
    input: options.input,
    kind: options.kind ?? 'file',
    ...(options.address === undefined ? {} : { address: options.address }),
  };
  return syslogMessageToEvent(text, truncated, options.received, source, options);
}

/**
 * File import (`vigil ingest`): one line of a file to one Event, with the same mapping the
 * live inputs use: syslog lines as the syslog listeners map them, JSON lines as
 * `POST /api/v1/ingest` maps them. Unlike an HTTP request, a file is not all-or-nothing: a line
 * that does not parse is stored raw and flagged `unparsed`, as a syslog listener would, and
 * counted.
 */
import { createEvent, type Event, type EventFlag } from '../../core/event.js';
import { syslogLineToEvent } from '../syslog/syslog-event.js';
import type { TimeZone } from '../../parsers/syslog/syslog-parser.js';
import { parseWebLine } from '../../parsers/web/web-log.js';
import type { MappingLimits, RecordMapping } from '../http/record-mapping.js';

export type FileFormat = 'syslog' | 'json' | 'web';

export interface FileRecordOptions {
  readonly tenant: string;
  /** Metrics label and `source.input` (`file`). */
  readonly input: string;
  /** The file's path (or `-` for standard input), kept as `source.address`. */
  readonly path: string;
  readonly maxLineBytes: number;
  readonly mapping: RecordMapping;
  readonly limits: MappingLimits;
  /** Zone for syslog timestamps without one; UTC when absent. */
  readonly zone?: TimeZone | undefined;
}

export interface FileRecordCounts {
  read: number;
  unparsed: number;
  truncated: number;
}

/**
 * From a file's first line: `{` starts JSON lines; an Apache/Nginx access or error line means a
 * web server log; anything else is read as syslog (RFC 3164/5424 or plain lines).
 */
export function detectFileFormat(firstLine: string): FileFormat {
  if (firstLine.trimStart().startsWith('{')) return 'json';
  return parseWebLine(firstLine) ? 'web' : 'syslog';
}

export class FileRecordMapper {
  readonly counts: FileRecordCounts = { read: 0, unparsed: 0, truncated: 0 };
  private format: FileFormat | undefined;

  constructor(private readonly options: FileRecordOptions, format: FileFormat | 'auto') {
    this.format = format === 'auto' ? undefined : format;
  }

  /** The event for one line, or undefined for a blank line. */
  map(text: string, truncated: boolean, received = Date.now()): Event | undefined {
    if (text.trim() === '') return undefined;
    this.format ??= detectFileFormat(text);
    const event =
      this.format === 'json' ? this.json(text, truncated, received) : this.format === 'web' ? this.web(text, truncated, received) : this.syslog(text, truncated, received);
    this.counts.read++;
    if (event.flags.includes('unparsed')) this.counts.unparsed++;
    if (event.flags.includes('truncated')) this.counts.truncated++;
    return event;
  }

  private syslog(text: string, truncated: boolean, received: number): Event {
    const event = syslogLineToEvent(text, {
      tenant: this.options.tenant,
      input: this.options.input,
      received,
      maxMessageBytes: this.options.maxLineBytes,
      address: this.options.path,
      kind: 'file',
      zone: this.options.zone,
    });
    return truncated && !event.flags.includes('truncated') ? { ...event, flags: [...event.flags, 'truncated'] } : event;
  }

  /** A line of a web server log; one that is not (a stray line) is mapped as syslog would. */
  private web(text: string, truncated: boolean, received: number): Event {
    const parsed = parseWebLine(text);
    if (!parsed) return this.syslog(text, truncated, received);
    return createEvent({
      tenant: this.options.tenant,
      received,
      time: parsed.time,
      source: { input: this.options.input, kind: 'file', address: this.options.path },
      format: parsed.format,
      original: text,
      fields: parsed.fields,
      flags: truncated ? [...parsed.flags, 'truncated'] : parsed.flags,
    });
  }

  private json(text: string, truncated: boolean, received: number): Event {
    const flags: EventFlag[] = truncated ? ['truncated'] : [];
    const source = { input: this.options.input, kind: 'file' as const, address: this.options.path };
    if (!truncated) {
      try {
        const value: unknown = JSON.parse(text);
        if ((typeof value === 'object' && value !== null && !Array.isArray(value)) || typeof value === 'string') {
          const mapped = this.options.mapping.json(value as Record<string, unknown> | string, this.options.limits);
          return createEvent({
            tenant: this.options.tenant,
            received,
            time: mapped.time,
            source,
            format: 'json',
            original: text,
            fields: mapped.fields,
            flags: [...mapped.flags, ...flags],
          });
        }
      } catch {
        // fall through: stored raw, flagged unparsed
      }
    }
    return createEvent({
      tenant: this.options.tenant,
      received,
      source,
      format: 'raw',
      original: text,
      fields: { message: text },
      flags: [...flags, 'unparsed'],
    });
  }
}

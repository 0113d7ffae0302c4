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
import type { LineFormat } from '../../parsers/line/line-parser.js';
import { parseWebLine } from '../../parsers/web/web-log.js';
import { parseAuditRecord } from '../../parsers/auditd/audit-record.js';
import { AuditGrouper, type AuditGroup } from '../../parsers/auditd/audit-grouper.js';
import { auditEventFields } from '../../parsers/auditd/audit-event.js';
import { ZeekTsvReader } from '../../parsers/zeek/zeek-tsv.js';
import { W3cLogReader } from '../../parsers/iis/w3c-log.js';
import { isWindowsEventTree, windowsEventFields } from '../../parsers/windows/windows-event-ecs.js';
import { addZeekEcs, zeekPathOf } from '../../parsers/zeek/zeek-ecs.js';
import type { MappingLimits, RecordMapping } from '../http/record-mapping.js';
import { ConcatenatedJsonSplitter } from '../http/concatenated-json.js';
import { envelopeRecords } from '../http/record-envelope.js';

export const FILE_FORMATS = ['syslog', 'json', 'json-document', 'web', 'w3c', 'auditd', 'zeek', 'wazuh-logtest'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

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
 * From a file's first line: a whole JSON object on it starts JSON lines; `[`, or a `{` that
 * opens a multi-line document, a JSON document (an array of records, CloudTrail's
 * `{"Records": […]}`, or one object); `#separator`/`#fields` a Zeek TSV log;
 * `type=… msg=audit(…)` a raw audit log; an
 * Apache/Nginx access or error line a web server log; an INI comment (`;`) or section header
 * (`[name]`) a Wazuh ruleset test file; anything else is read as syslog (RFC 3164/5424,
 * device formats, or plain lines, each line detected on its own).
 */
export function detectFileFormat(firstLine: string): FileFormat {
  const start = firstLine.trim();
  if (start.startsWith(';') || WAZUH_SECTION.test(start)) return 'wazuh-logtest';
  if (start.startsWith('{')) return isJsonObject(start) ? 'json' : 'json-document';
  if (firstLine.startsWith('#separator') || firstLine.startsWith('#fields')) return 'zeek';
  if (firstLine.startsWith('#Software:') || firstLine.startsWith('#Version:') || firstLine.startsWith('#Fields:')) return 'w3c';
  if (parseAuditRecord(firstLine)) return 'auditd';
  // Apache's error log also starts with `[`: a web line wins over a JSON array.
  if (parseWebLine(firstLine)) return 'web';
  return start === '[' || start.startsWith('[{') || start.startsWith('[ {') ? 'json-document' : 'syslog';
}

function envelopeOf(text: string): readonly unknown[] | undefined {
  try {
    return envelopeRecords(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** `[SSHD brute force]`: a section of a Wazuh test file (an Apache error line goes on past `]`). */
const WAZUH_SECTION = /^\[[^\]"{]{1,200}\]$/;
/** `log 1 pass = <the log line>` in a Wazuh ruleset test file (`ruleset/testing/tests/*.ini`). */
const WAZUH_LOG = /^log \d{1,6} (?:pass|fail) = /;
const WAZUH_BOOKKEEPING = /^\s*(?:[;#].*|\[[^\]]*\]\s*|(?:rule|alert|decoder|name|program_name) =(?: .*)?)$/;

/** The objects of concatenated JSON, or undefined when the text is not that either. */
function splitConcatenated(text: string, maxDepth: number): string[] | undefined {
  try {
    const splitter = new ConcatenatedJsonSplitter(maxDepth);
    const objects = splitter.write(Buffer.from(text, 'utf8'));
    splitter.end();
    return objects.length > 1 ? objects.map((o) => o.text) : undefined;
  } catch {
    return undefined;
  }
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** A JSON document is parsed whole; past this size its lines are kept raw instead. */
const MAX_DOCUMENT_BYTES = 128 * 1024 * 1024;

export class FileRecordMapper {
  readonly counts: FileRecordCounts = { read: 0, unparsed: 0, truncated: 0 };
  private format: FileFormat | undefined;

  constructor(private readonly options: FileRecordOptions, format: FileFormat | 'auto') {
    this.format = format === 'auto' ? undefined : format;
    this.lineFormat = format === 'syslog' ? 'syslog' : 'auto';
  }

  /** A file given as syslog is read as syslog; otherwise a stray line is detected on its own. */
  private readonly lineFormat: LineFormat;

  private readonly audit = new AuditGrouper();
  private readonly zeek = new ZeekTsvReader();
  private readonly w3c = new W3cLogReader();

  /**
   * The events one line completes: usually its own; none for a blank line or an audit record
   * whose event continues; for audit logs, the previous event once a new one starts.
   */
  take(text: string, truncated: boolean, received = Date.now()): Event[] {
    if (text.trim() === '') return [];
    this.format ??= detectFileFormat(text);
    if (this.format === 'json-document') return this.documentLine(text, truncated, received);
    if (this.format === 'w3c') {
      if (this.w3c.directive(text)) return [];
      const record = truncated ? undefined : this.w3c.record(text);
      if (!record) return [this.count(this.syslog(text, truncated, received))];
      const source = { input: this.options.input, kind: 'file' as const, address: this.options.path };
      return [this.count(createEvent({ tenant: this.options.tenant, received, time: record.time, source, format: 'web-access', original: text, fields: record.fields }))];
    }
    if (this.format === 'wazuh-logtest') {
      // The `log N pass|fail = …` lines are records; sections, comments and the expected rule,
      // alert and decoder are the test's own bookkeeping. Anything else is kept, raw.
      const m = WAZUH_LOG.exec(text);
      // INI values are trimmed; the log line starts at its first non-blank character.
      if (m) return [this.count(this.syslog(text.slice(m[0].length).trimStart(), truncated, received))];
      return WAZUH_BOOKKEEPING.test(text) ? [] : [this.count(this.syslog(text, truncated, received))];
    }
    if (this.format === 'zeek') {
      if (this.zeek.header(text)) return [];
      return [this.count(this.zeekEvent(text, truncated, received))];
    }
    if (this.format === 'json' && !truncated && (text.includes('"Records"') || text.includes('"records"'))) {
      // One envelope per line (an Event Hub capture, CloudTrail files joined with jq -c).
      const inner = envelopeOf(text);
      if (inner) return inner.map((r) => this.count(this.json(JSON.stringify(r), false, received)));
    }
    if (this.format !== 'auditd') return [this.mapOne(text, truncated, received)];
    const { done, record } = this.audit.push(text);
    const events = done.map((g) => this.count(this.auditEvent(g, received)));
    // A line that is no audit record at all is kept raw, as in any other file.
    if (!record) events.push(this.count(this.syslog(text, truncated, received)));
    return events;
  }

  private document: string[] = [];
  private documentBytes = 0;
  private documentOverflow = false;

  private documentLine(text: string, truncated: boolean, received: number): Event[] {
    if (!this.documentOverflow && !truncated && this.documentBytes + text.length < MAX_DOCUMENT_BYTES) {
      this.document.push(text);
      this.documentBytes += text.length + 1;
      return [];
    }
    // Too large to parse whole: keep what there is raw, line by line, and say so by the flag.
    this.documentOverflow = true;
    const lines = [...this.document, text];
    this.document = [];
    return lines.map((l) => this.count(this.syslog(l, truncated, received)));
  }

  /** Events still being assembled (end of file, or a quiet moment while following a file). */
  flush(received = Date.now()): Event[] {
    const events = this.audit.flush().map((g) => this.count(this.auditEvent(g, received)));
    if (this.document.length > 0) events.push(...this.documentEvents(received));
    return events;
  }

  /**
   * The records of a whole JSON document: an array, CloudTrail's `Records`, Azure's `records`
   * (the Event Hub envelope of diagnostic settings, and storage exports before November 2018),
   * or one object.
   */
  private documentEvents(received: number): Event[] {
    const text = this.document.join('\n');
    this.document = [];
    this.documentBytes = 0;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // evtx_dump and jq write pretty-printed objects one after another, with no array around them.
      const objects = splitConcatenated(text, this.options.limits.maxJsonDepth);
      if (objects) return objects.map((o) => this.count(this.json(o, false, received)));
      // Not JSON after all: keep every line, raw, as any other unparsed line is kept.
      return text.split('\n').filter((l) => l.trim() !== '').map((l) => this.count(this.syslog(l, false, received)));
    }
    const records = Array.isArray(value) ? value : (envelopeRecords(value) ?? [value]);
    return records.map((r) => this.count(this.json(JSON.stringify(r), false, received)));
  }

  /** A data line of a Zeek TSV log, read with the columns its header declared. */
  private zeekEvent(text: string, truncated: boolean, received: number): Event {
    const record = truncated ? undefined : this.zeek.record(text);
    if (!record) return this.syslog(text, truncated, received);
    const time = addZeekEcs(record.fields, record.path ?? zeekPathOf(record.fields, this.options.path));
    return createEvent({
      tenant: this.options.tenant,
      received,
      time,
      source: { input: this.options.input, kind: 'file', address: this.options.path },
      format: 'zeek',
      original: text,
      fields: record.fields,
    });
  }

  private auditEvent(group: AuditGroup, received: number): Event {
    return createEvent({
      tenant: this.options.tenant,
      received,
      time: group.records[0]!.time,
      source: { input: this.options.input, kind: 'file', address: this.options.path },
      format: 'auditd',
      original: group.original,
      fields: auditEventFields(group.records),
    });
  }

  private count(event: Event): Event {
    this.counts.read++;
    if (event.flags.includes('unparsed')) this.counts.unparsed++;
    if (event.flags.includes('truncated')) this.counts.truncated++;
    return event;
  }

  /** The event of one line of a one-line-per-event format. */
  private mapOne(text: string, truncated: boolean, received: number): Event {
    const event =
      this.format === 'json' ? this.json(text, truncated, received) : this.format === 'web' ? this.web(text, truncated, received) : this.syslog(text, truncated, received);
    return this.count(event);
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
      format: this.lineFormat,
      limits: this.options.limits,
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
        if (isWindowsEventTree(value)) {
          // Straight from an .evtx file or evtx_dump: only the native and ECS names, no nesting.
          const windows = windowsEventFields(value);
          return createEvent({ tenant: this.options.tenant, received, time: windows.time, source, format: 'windows', original: text, fields: windows.fields, flags });
        }
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

/**
 * One line of text to fields, whatever it holds: a syslog message (RFC 5424, RFC 3164 and the
 * device formats inside them), a JSON object, an Apache/Nginx line, a raw audit record, CEF or
 * LEEF. Syslog listeners, text bodies and log files all go through here, so a line means the
 * same however it arrived, and a sender that mixes formats on one port still gets its fields.
 *
 * `auto` tries the cheap, certain tests first (a `{`, `type=…msg=audit(`) and then syslog, whose
 * parser already knows the device formats; only a line syslog cannot read is tried as a web
 * line. An explicit format skips detection: a line that is not in it is kept raw and flagged.
 */
import type { EventFlag, EventFormat, Fields } from '../../core/event.js';
import type { MappingLimits } from '../../sources/http/record-mapping.js';
import { parseSyslog } from '../syslog/syslog-parser.js';
import type { TimeZone } from '../syslog/time-zone.js';
import { mapJsonRecord } from '../json/json-mapping.js';
import { isWindowsEventTree, windowsEventFields } from '../windows/windows-event-ecs.js';
import { parseWebLine } from '../web/web-log.js';
import { parseAuditRecord } from '../auditd/audit-record.js';
import { auditEventFields } from '../auditd/audit-event.js';
import { parseCefOrLeef } from '../cef/cef.js';

/**
 * `syslog`: RFC 5424/3164 and header-less device lines. `json`: one JSON object per line.
 * `web`: Apache/Nginx access and error lines. `auditd`: raw audit records, one event each (a
 * file input groups records by serial instead). `cef`: CEF or LEEF, with or without a syslog
 * header. `raw`: no parsing; the line is the message.
 */
export const LINE_FORMATS = ['auto', 'syslog', 'json', 'web', 'auditd', 'cef', 'raw'] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

export interface ParsedLine {
  readonly format: EventFormat;
  /** Event time from the record, epoch ms; absent: the receive time is used. */
  readonly time?: number | undefined;
  readonly fields: Fields;
  readonly flags: readonly EventFlag[];
}

export interface LineParseOptions {
  /** Zone for timestamps without an offset; UTC when absent. */
  readonly zone?: TimeZone | undefined;
  /** Bounds for a JSON line; the defaults of the HTTP input when absent. */
  readonly limits?: MappingLimits | undefined;
}

const DEFAULT_LIMITS: MappingLimits = { maxJsonDepth: 64, maxFieldsPerEvent: 1024 };

function rawLine(text: string, unparsed: boolean): ParsedLine {
  const fields: Fields = Object.create(null) as Fields;
  fields['message'] = text;
  return { format: 'raw', fields, flags: unparsed ? ['unparsed'] : [] };
}

/** `parseSyslog` never throws; the others are guarded here so a bad line costs only itself. */
export function parseLine(line: string, format: LineFormat, received: number, options: LineParseOptions = {}): ParsedLine {
  // A CR left by CRLF framing is framing, not content (the web and audit patterns end at `$`).
  const text = line.endsWith('\r') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line.endsWith('\n') ? line.slice(0, -1) : line;
  const syslogOptions = options.zone ? { zone: options.zone } : {};
  try {
    switch (format) {
      case 'syslog':
        return parseSyslog(text, received, syslogOptions);
      case 'json':
        return jsonLine(text, options) ?? rawLine(text, true);
      case 'web':
        return parseWebLine(text) ?? rawLine(text, true);
      case 'auditd':
        return auditLine(text) ?? rawLine(text, true);
      case 'cef':
        return cefLine(text, received, options) ?? rawLine(text, true);
      case 'raw':
        return rawLine(text, false);
      case 'auto':
        return autoLine(text, received, options);
    }
  } catch {
    return rawLine(text, true);
  }
}

function autoLine(text: string, received: number, options: LineParseOptions): ParsedLine {
  let i = 0;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
  const first = text.charCodeAt(i);
  if (first === 0x7b /* { */) {
    const json = jsonLine(text, options);
    if (json) return json;
  } else if ((first === 0x74 /* t */ || first === 0x6e) /* n */ && text.includes('msg=audit(')) {
    const audit = auditLine(text);
    if (audit) return audit;
  }
  const syslog = parseSyslog(text, received, options.zone ? { zone: options.zone } : {});
  if (syslog.format !== 'raw') return syslog;
  return parseWebLine(text) ?? syslog;
}

function jsonLine(text: string, options: LineParseOptions): ParsedLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (isWindowsEventTree(value)) {
    // Straight from an .evtx file or evtx_dump: only the native and ECS names, no nesting.
    const windows = windowsEventFields(value);
    return { format: 'windows', time: windows.time, fields: windows.fields, flags: [] };
  }
  const mapped = mapJsonRecord(value as Record<string, unknown>, options.limits ?? DEFAULT_LIMITS);
  return { format: 'json', time: mapped.time, fields: mapped.fields, flags: mapped.flags };
}

function auditLine(text: string): ParsedLine | undefined {
  const record = parseAuditRecord(text);
  if (!record) return undefined;
  const fields = auditEventFields([record]);
  return { format: 'auditd', time: record.time, fields, flags: [] };
}

function cefLine(text: string, received: number, options: LineParseOptions): ParsedLine | undefined {
  const at = Math.max(text.startsWith('CEF:') ? 0 : text.indexOf('CEF:'), text.startsWith('LEEF:') ? 0 : text.indexOf('LEEF:'));
  if (at < 0) return undefined;
  if (at > 0) {
    // Behind a syslog header: the syslog parser reads the header and hands the rest to CEF.
    const syslog = parseSyslog(text, received, options.zone ? { zone: options.zone } : {});
    if (syslog.format !== 'raw' && ('cef.version' in syslog.fields || 'leef.version' in syslog.fields)) return syslog;
  }
  const fields = parseCefOrLeef(text.slice(at));
  if (!fields) return undefined;
  if (!('message' in fields)) fields['message'] = text;
  return { format: 'device', fields, flags: [] };
}

/**
 * Turns a stream of audit lines into one group per event. The kernel writes an event's
 * records together and ends multi-record events with EOE; a group also ends when a record of
 * another serial arrives, or when the caller flushes (end of file, or a quiet poll).
 * Bounded: a group holds at most MAX_RECORDS records (a PATH flood cannot grow it).
 */
import { parseAuditRecord, type AuditRecord } from './audit-record.js';

const MAX_RECORDS = 64;

export interface AuditGroup {
  readonly records: readonly AuditRecord[];
  /** The original lines, joined by newlines. */
  readonly original: string;
}

export class AuditGrouper {
  private records: AuditRecord[] = [];
  private lines: string[] = [];

  /** Adds a line; returns the group it completed, if any. `undefined` record = not an audit line. */
  push(line: string): { done: AuditGroup[]; record: AuditRecord | undefined } {
    const record = parseAuditRecord(line);
    const done: AuditGroup[] = [];
    if (!record) return { done, record };
    if (this.records.length > 0 && (this.records[0]!.serial !== record.serial || this.records.length >= MAX_RECORDS)) {
      done.push(...this.flush());
    }
    if (record.type === 'EOE') {
      if (this.records.length === 0) return { done, record };
      this.records.push(record);
      this.lines.push(line);
      done.push(...this.flush());
      return { done, record };
    }
    this.records.push(record);
    this.lines.push(line);
    return { done, record };
  }

  flush(): AuditGroup[] {
    if (this.records.length === 0) return [];
    const group = { records: this.records, original: this.lines.join('\n') };
    this.records = [];
    this.lines = [];
    return [group];
  }
}

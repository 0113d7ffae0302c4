/**
 * Writes audit entries to the store without holding up the request that caused them: entries
 * are buffered and written in one transaction every `flushMs` (or at `batchSize`), through the
 * store's one write queue, so a page of console calls costs one write, not one per call.
 *
 * An audit write never fails a request: a failed write is logged and counted
 * (`vigil_audit_entries_lost_total{reason="store-error"}`), and so is an entry refused because
 * `maxBuffered` entries are already waiting (`reason="overflow"`, a store that stopped writing).
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditStore } from '../../core/audit.js';
import { newId } from '../../core/ids.js';
import type { AccountMetrics } from '../auth/account-metrics.js';

export type AuditRecord = Omit<AuditEntry, 'id' | 'time'> & { readonly time?: number };

export interface AuditTrailOptions {
  readonly metrics: AccountMetrics;
  readonly log?: Logger | undefined;
  readonly flushMs?: number;
  readonly batchSize?: number;
  readonly maxBuffered?: number;
}

/** Longest text kept in one detail value; queries longer than this are cut and marked. */
const MAX_DETAIL_CHARS = 2_000;
const MAX_DETAIL_ITEMS = 50;
const MAX_DETAIL_DEPTH = 4;

/** Details as stored: bounded in size and depth, strings cut, nothing but JSON values. */
export function boundedDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const bound = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string') return value.length > MAX_DETAIL_CHARS ? `${value.slice(0, MAX_DETAIL_CHARS)}…[cut]` : value;
    if (depth >= MAX_DETAIL_DEPTH) return '[nested too deep]';
    if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ITEMS).map((v) => bound(v, depth + 1));
    if (typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).slice(0, MAX_DETAIL_ITEMS).map(([k, v]) => [k.slice(0, 100), bound(v, depth + 1)]));
    }
    return undefined;
  };
  return bound(details, 0) as Record<string, unknown>;
}

export class AuditTrail {
  private buffer: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: AuditStore,
    private readonly options: AuditTrailOptions,
  ) {
    this.flushMs = options.flushMs ?? 250;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  record(record: AuditRecord): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.options.metrics.auditLost.inc({ reason: 'overflow' });
      this.options.log?.error({ action: record.action, actor: record.actor }, 'audit: entry lost, too many waiting to be written');
      return;
    }
    this.buffer.push({ ...record, id: newId(), time: record.time ?? Date.now(), details: boundedDetails(record.details) });
    if (this.closed || this.buffer.length >= this.batchSize) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when it is written (or lost and counted). Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.buffer;
    this.buffer = [];
    // Chained: entries reach the store in the order they were recorded.
    this.writing = this.writing.then(async () => {
      if (entries.length === 0) return;
      try {
        await this.store.appendAudit(entries);
        this.options.metrics.auditWritten.inc(entries.length);
      } catch (error) {
        this.options.metrics.auditLost.inc({ reason: 'store-error' }, entries.length);
        this.options.log?.error({ err: error, entries: entries.length }, 'audit: cannot write entries to the store');
      }
    });
    return this.writing;
  }

  /** Writes what is left; later entries are written at once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}

/**
 * The embedded bus: a segmented write-ahead log in the data folder. `publish` resolves after
 * the bytes are fsynced, which is what lets an HTTP ingest call answer 2xx only for durable
 * events. Concurrent publishes share one write and one fdatasync (group commit), so
 * durability costs one disk flush per burst, not per request.
 *
 * One consumer (the store writer) pulls in order. Fresh records are handed over from memory;
 * when the consumer falls behind by more than `memoryEvents`, the memory copies are dropped
 * and it reads the same records back from disk, so a slow store costs disk, not RAM. The
 * consumer's position is committed by the store in the same transaction as the events, and
 * `open({ from })` resumes there after a crash: nothing acknowledged is lost, nothing stored
 * twice.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus, BusBatch } from '../../core/bus.js';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import {
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  SEGMENT_FILE,
  comparePositions,
  decodeHeader,
  encodeRecord,
  formatPosition,
  parsePosition,
  payloadIntact,
  segmentFileName,
  type LogPosition,
} from './record-format.js';
import { scanSegment } from './segment-scan.js';

export interface FileLogOptions {
  readonly dir: string;
  /** Roll to a new segment file once the current one reaches this size. */
  readonly segmentBytes: number;
  /** Position to resume from (the store's checkpoint); the start of the log when absent. */
  readonly from?: string | undefined;
  /** Publishes are refused with `overloaded` while this many events wait for the consumer. */
  readonly maxQueueEvents: number;
  /** Events kept in memory for the consumer before it has to read back from disk. */
  readonly memoryEvents?: number;
  readonly metrics?: Metrics;
  readonly onWarning?: (message: string) => void;
}

interface PendingWrite {
  readonly header: Buffer;
  readonly payload: Buffer;
  readonly events: readonly Event[];
  resolve(): void;
  reject(error: unknown): void;
}

interface MemoryRecord {
  readonly start: LogPosition;
  readonly end: LogPosition;
  readonly events: readonly Event[];
}

/** Not O_APPEND: positional writes must land where we say (Linux ignores the offset under O_APPEND). */
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT;

export class FileLog implements Bus {
  private readonly dir: string;
  private readonly options: FileLogOptions;
  /** Sizes of sealed segments; the write segment's durable size is `writeOffset`. */
  private readonly sealed = new Map<number, number>();
  private writeSegment: number;
  private writeHandle: FileHandle;
  private writeOffset: number;
  private pending: PendingWrite[] = [];
  private flushing = false;
  private closed = false;
  private lastRollWarning = 0;

  private cursor: LogPosition;
  private readHandle: { segment: number; handle: FileHandle } | undefined;
  private memory: MemoryRecord[] = [];
  private memoryCount = 0;
  /** Pulled batches not yet committed, for depth accounting. */
  private inFlight: { end: LogPosition; count: number }[] = [];
  private queued: number;
  private wake: (() => void) | undefined;
  corruptBytesSkipped = 0;

  private constructor(options: FileLogOptions, state: {
    writeSegment: number;
    writeHandle: FileHandle;
    writeOffset: number;
    cursor: LogPosition;
    queued: number;
  }) {
    this.options = options;
    this.dir = options.dir;
    this.writeSegment = state.writeSegment;
    this.writeHandle = state.writeHandle;
    this.writeOffset = state.writeOffset;
    this.cursor = state.cursor;
    this.queued = state.queued;
    options.metrics?.queueDepth.set(this.queued);
  }

  static async open(options: FileLogOptions): Promise<FileLog> {
    const warn = options.onWarning ?? (() => {});
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const segments = (await readdir(options.dir))
      .map((name) => SEGMENT_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);

    let from = options.from === undefined ? undefined : parsePosition(options.from);
    if (options.from !== undefined && from === undefined) {
      throw new VigilError('internal', `the stored event-log checkpoint "${options.from}" is not a log position; the data folder may be damaged`);
    }

    // Segments wholly before the checkpoint were stored already: remove them.
    const live = segments.filter((s) => from === undefined || s >= from.segment);
    for (const s of segments) if (!live.includes(s)) await rm(join(options.dir, segmentFileName(s)), { force: true });

    const sizes = new Map<number, number>();
    let queued = 0;
    for (const [i, segment] of live.entries()) {
      const path = join(options.dir, segmentFileName(segment));
      const isTail = i === live.length - 1;
      const startAt = from !== undefined && segment === from.segment ? from.offset : 0;
      const scan = await scanSegment(path, startAt);
      if (scan.damagedBytes > 0) {
        warn(`event log ${segmentFileName(segment)}: ${scan.damagedBytes} damaged bytes between intact records; they will be skipped and counted`);
      }
      if (isTail && scan.validEnd < scan.size) {
        // A torn tail is a write that never finished its fsync, so it was never acknowledged.
        warn(`event log ${segmentFileName(segment)}: discarding ${scan.size - scan.validEnd} bytes of an unfinished write at the tail`);
        const fh = await open(path, 'r+');
        await fh.truncate(scan.validEnd);
        await fh.sync();
        await fh.close();
      }
      queued += scan.events;
      sizes.set(segment, isTail ? scan.validEnd : scan.size);
    }

    const writeSegment = live.at(-1) ?? (from?.segment ?? 1);
    if (live.length === 0) {
      from = { segment: writeSegment, offset: 0 };
    }
    const writePath = join(options.dir, segmentFileName(writeSegment));
    const writeHandle = await open(writePath, WRITE_FLAGS, 0o600);
    await syncDirectory(options.dir);
    const writeOffset = sizes.get(writeSegment) ?? 0;
    const cursor = from ?? { segment: live[0] ?? writeSegment, offset: 0 };

    const log = new FileLog(options, { writeSegment, writeHandle, writeOffset, cursor, queued });
    for (const [segment, size] of sizes) if (segment !== writeSegment) log.sealed.set(segment, size);
    if (log.writeOffset >= options.segmentBytes) await log.roll();
    return log;
  }

  depth(): number {
    return this.queued;
  }

  async publish(events: readonly Event[]): Promise<void> {
    if (this.closed) throw new VigilError('overloaded', 'the server is shutting down; retry shortly');
    if (events.length === 0) return;
    if (this.queued + events.length > this.options.maxQueueEvents) {
      throw new VigilError('overloaded', `the pipeline is ${this.queued} events behind (limit ${this.options.maxQueueEvents}); retry later`);
    }
    const payload = Buffer.from(JSON.stringify(events), 'utf8');
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new VigilError('payload-too-large', `one batch may hold at most ${MAX_PAYLOAD_BYTES} bytes; send smaller batches`);
    }
    this.queued += events.length;
    this.options.metrics?.queueDepth.set(this.queued);
    const header = encodeRecord(payload, events.length);
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ header, payload, events, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Group commit: everything that queued up while the previous fsync ran goes in one write. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        const started = performance.now();
        const buffers: Buffer[] = [];
        for (const w of group) buffers.push(w.header, w.payload);
        const startOffset = this.writeOffset;
        try {
          await writeAll(this.writeHandle, buffers, startOffset);
          await this.writeHandle.datasync();
        } catch (error) {
          // Keep the file free of half-written records so the next write starts clean.
          await this.writeHandle.truncate(startOffset).catch(() => {});
          for (const w of group) this.queued -= w.events.length;
          this.options.metrics?.queueDepth.set(this.queued);
          const failure = new VigilError('store-unavailable', `cannot write the event log in ${this.dir}: ${(error as Error).message}`, { cause: error });
          for (const w of group) w.reject(failure);
          continue;
        }
        this.options.metrics?.walSyncSeconds.observe((performance.now() - started) / 1000);
        let offset = startOffset;
        for (const w of group) {
          const start = { segment: this.writeSegment, offset };
          offset += HEADER_BYTES + w.payload.length;
          this.remember({ start, end: { segment: this.writeSegment, offset }, events: w.events });
        }
        this.writeOffset = offset;
        for (const w of group) w.resolve();
        this.wake?.();
        if (this.writeOffset >= this.options.segmentBytes) await this.roll();
      }
    } finally {
      this.flushing = false;
    }
  }

  private remember(record: MemoryRecord): void {
    const budget = this.options.memoryEvents ?? 50_000;
    if (this.memoryCount + record.events.length > budget) {
      // Over budget: the consumer will read these records back from disk.
      this.memory = [];
      this.memoryCount = 0;
      return;
    }
    this.memory.push(record);
    this.memoryCount += record.events.length;
  }

  /**
   * Seals the write segment and starts the next. The new file is opened before the old one is
   * closed: when it cannot be created (disk or inodes full) the log stays on the current
   * segment, which only grows past `segmentBytes`, and tries again after the next write. A
   * failed roll must never reject: it runs after the group's publishes were acknowledged.
   */
  private async roll(): Promise<void> {
    const next = this.writeSegment + 1;
    const path = join(this.dir, segmentFileName(next));
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, WRITE_FLAGS, 0o600);
      await syncDirectory(this.dir);
    } catch (error) {
      await handle?.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
      const now = Date.now();
      if (now - this.lastRollWarning > 10_000) {
        this.lastRollWarning = now;
        this.options.onWarning?.(`event log: cannot start segment ${segmentFileName(next)} (${(error as Error).message}); writing on in ${segmentFileName(this.writeSegment)}`);
      }
      return;
    }
    await this.writeHandle.close().catch(() => {});
    this.sealed.set(this.writeSegment, this.writeOffset);
    this.writeSegment = next;
    this.writeOffset = 0;
    this.writeHandle = handle;
  }

  async pull(maxEvents: number, signal: AbortSignal): Promise<BusBatch | undefined> {
    while (!signal.aborted) {
      this.normaliseCursor();
      if (comparePositions(this.cursor, this.durableEnd()) < 0) {
        const batch = this.takeFromMemory(maxEvents) ?? (await this.readFromDisk(maxEvents));
        if (batch && batch.events.length > 0) return batch;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return undefined;
  }

  private durableEnd(): LogPosition {
    return { segment: this.writeSegment, offset: this.writeOffset };
  }

  /** Moves the cursor past the end of a sealed segment to the start of the next one. */
  private normaliseCursor(): void {
    while (this.cursor.segment < this.writeSegment) {
      const size = this.sealed.get(this.cursor.segment);
      if (size !== undefined && this.cursor.offset < size) return;
      this.cursor = { segment: this.cursor.segment + 1, offset: 0 };
    }
  }

  private takeFromMemory(maxEvents: number): BusBatch | undefined {
    while (this.memory.length > 0 && comparePositions(this.memory[0]!.start, this.cursor) < 0) {
      this.memoryCount -= this.memory.shift()!.events.length;
    }
    const first = this.memory[0];
    if (!first || comparePositions(first.start, this.cursor) !== 0) return undefined;
    const events: Event[] = [];
    let end = first.end;
    while (this.memory.length > 0) {
      const next = this.memory[0]!;
      if (events.length > 0 && events.length + next.events.length > maxEvents) break;
      this.memory.shift();
      this.memoryCount -= next.events.length;
      for (const e of next.events) events.push(e);
      end = next.end;
    }
    return this.handOut(events, end);
  }

  private async readFromDisk(maxEvents: number): Promise<BusBatch | undefined> {
    const segment = this.cursor.segment;
    const limit = segment === this.writeSegment ? this.writeOffset : (this.sealed.get(segment) ?? 0);
    const stopAt = this.memory[0]?.start;
    const handle = await this.readerFor(segment);
    const events: Event[] = [];
    let offset = this.cursor.offset;
    while (offset < limit && events.length < maxEvents) {
      if (stopAt && stopAt.segment === segment && offset >= stopAt.offset) break;
      const header = Buffer.alloc(HEADER_BYTES);
      await handle.read(header, 0, HEADER_BYTES, offset);
      const parsed = decodeHeader(header);
      const payload = parsed && offset + HEADER_BYTES + parsed.length <= limit ? Buffer.alloc(parsed.length) : undefined;
      if (parsed && payload) await handle.read(payload, 0, parsed.length, offset + HEADER_BYTES);
      if (!parsed || !payload || !payloadIntact(parsed, payload)) {
        offset = await this.skipDamage(handle, offset, limit);
        continue;
      }
      offset += HEADER_BYTES + parsed.length;
      for (const e of JSON.parse(payload.toString('utf8')) as Event[]) events.push(e);
    }
    return this.handOut(events, { segment, offset });
  }

  /** Finds the next intact record after damage at `offset`; counts what was skipped. */
  private async skipDamage(handle: FileHandle, offset: number, limit: number): Promise<number> {
    const rest = Buffer.alloc(limit - offset);
    await handle.read(rest, 0, rest.length, offset);
    for (let i = 1; i + HEADER_BYTES <= rest.length; i++) {
      const h = decodeHeader(rest, i);
      if (h && i + HEADER_BYTES + h.length <= rest.length && payloadIntact(h, rest.subarray(i + HEADER_BYTES, i + HEADER_BYTES + h.length))) {
        this.noteDamage(i);
        return offset + i;
      }
    }
    this.noteDamage(rest.length);
    return limit;
  }

  private noteDamage(bytes: number): void {
    this.corruptBytesSkipped += bytes;
    this.options.metrics?.drop('event-log', 'store-error');
    this.options.onWarning?.(`event log: skipped ${bytes} damaged bytes at segment ${this.cursor.segment}`);
  }

  private handOut(events: Event[], end: LogPosition): BusBatch {
    this.cursor = end;
    if (events.length > 0) this.inFlight.push({ end, count: events.length });
    return { events, position: formatPosition(end) };
  }

  private async readerFor(segment: number): Promise<FileHandle> {
    if (this.readHandle?.segment === segment) return this.readHandle.handle;
    await this.readHandle?.handle.close();
    const handle = await open(join(this.dir, segmentFileName(segment)), 'r');
    this.readHandle = { segment, handle };
    return handle;
  }

  async commit(position: string): Promise<void> {
    const upTo = parsePosition(position);
    if (!upTo) throw new VigilError('internal', `not an event-log position: ${position}`);
    while (this.inFlight.length > 0 && comparePositions(this.inFlight[0]!.end, upTo) <= 0) {
      this.queued -= this.inFlight.shift()!.count;
    }
    this.options.metrics?.queueDepth.set(this.queued);
    for (const segment of [...this.sealed.keys()]) {
      if (segment >= upTo.segment) continue;
      if (this.readHandle?.segment === segment) {
        await this.readHandle.handle.close();
        this.readHandle = undefined;
      }
      this.sealed.delete(segment);
      await rm(join(this.dir, segmentFileName(segment)), { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    this.wake?.();
    await this.readHandle?.handle.close();
    await this.writeHandle.close();
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let offset = position;
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, offset);
    offset += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = next;
  }
}

/** A new segment's directory entry must itself be durable, or a crash could lose the file. */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}


/**
 * Tails log files as an input of `vigil serve` (`files:` in vigil.yaml). Files are polled, not
 * watched: `fs.watch` misses events on network file systems and across rotations, and a
 * one-second poll costs one `stat` per file.
 *
 * Guarantees:
 * - A file is tracked by device and inode, so rotation by rename is followed: the old file is
 *   read to its end (late writes included) before it is let go, and the new file at the path
 *   is read from its start. Rotation by copytruncate shows as the file shrinking below the
 *   read position; reading restarts at 0 (counted).
 * - The offset of a file is committed (to `offsetsFile`) only after the events before it are
 *   durable, so a crash re-reads at most what was not yet acknowledged: no loss, and
 *   duplicates only for lines read but not yet committed.
 */
import { open, readdir, rename, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Event } from '../../core/event.js';
import { globMatches } from '../../core/glob-match.js';
import type { Metrics } from '../../core/metrics.js';
import type { EventSink, Source } from '../../core/source.js';
import type { TimeZone } from '../../parsers/syslog/syslog-parser.js';
import type { MappingLimits, RecordMapping } from '../http/record-mapping.js';
import { FileRecordMapper, type FileFormat } from './file-records.js';
import { LineSplitter } from './line-splitter.js';

export interface TailedPath {
  /** A file, or a pattern with `*`/`?` in its last segment (`/var/log/nginx/*.log`). */
  readonly path: string;
  readonly format: FileFormat | 'auto';
  /** Where to start in a file seen for the first time at start-up; files appearing later start at 0. */
  readonly startAt: 'beginning' | 'end';
}

export interface FileTailOptions {
  readonly tenant: string;
  readonly paths: readonly TailedPath[];
  /** Where committed offsets are kept (JSON, rewritten atomically). */
  readonly offsetsFile: string;
  readonly pollMs: number;
  readonly maxLineBytes: number;
  readonly mapping: RecordMapping;
  readonly limits: MappingLimits;
  readonly zone?: TimeZone | undefined;
  readonly metrics: Metrics;
  readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

interface Tracked {
  readonly key: string;
  readonly path: string;
  readonly handle: FileHandle;
  readonly splitter: LineSplitter;
  readonly mapper: FileRecordMapper;
  /** Bytes read so far. */
  readOffset: number;
  /** Start of the first line not yet durable. */
  committed: number;
  /** The path now names another file (or none): read to the end, then let go. */
  rotatedAway: boolean;
  idleSinceRotation: number;
}

interface StoredOffset {
  readonly path: string;
  readonly offset: number;
}

const INPUT = 'file';
/** Per file and poll, so one busy file cannot starve the others. */
const MAX_READ_PER_POLL = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export class FileTailSource implements Source {
  readonly name = INPUT;
  private readonly tracked = new Map<string, Tracked>();
  private stored = new Map<string, StoredOffset>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private sink: EventSink | undefined;
  private firstPoll = true;
  private dirty = false;
  private readonly buffer = Buffer.alloc(READ_CHUNK);

  constructor(private readonly options: FileTailOptions) {}

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    try {
      this.stored = new Map(Object.entries(JSON.parse(await readFile(this.options.offsetsFile, 'utf8')) as Record<string, StoredOffset>));
    } catch {
      this.stored = new Map();
    }
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    await this.saveOffsets();
    for (const t of this.tracked.values()) await t.handle.close().catch(() => {});
    this.tracked.clear();
  }

  /** One round: discover files, read what was appended, submit, commit offsets. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const current = new Map<string, { path: string; spec: TailedPath }>();
    for (const spec of this.options.paths) {
      for (const path of await expand(spec.path)) {
        const s = await stat(path).catch(() => undefined);
        if (s?.isFile()) current.set(`${s.dev}:${s.ino}`, { path, spec });
      }
    }
    for (const [key, { path, spec }] of current) {
      if (!this.tracked.has(key)) await this.track(key, path, spec);
    }
    for (const t of this.tracked.values()) {
      if (!current.has(t.key)) t.rotatedAway = true;
      await this.readNew(t);
    }
    this.firstPoll = false;
    if (this.dirty) await this.saveOffsets();
  }

  private async track(key: string, path: string, spec: TailedPath): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      this.options.log?.warn({ path, error: (error as Error).message }, 'file input: cannot open; will retry');
      return;
    }
    const size = (await handle.stat()).size;
    const known = this.stored.get(key);
    const offset = known && known.offset <= size ? known.offset : this.firstPoll && spec.startAt === 'end' ? size : 0;
    const mapper = new FileRecordMapper(
      { tenant: this.options.tenant, input: INPUT, path, maxLineBytes: this.options.maxLineBytes, mapping: this.options.mapping, limits: this.options.limits, zone: this.options.zone },
      spec.format,
    );
    this.tracked.set(key, { key, path, handle, splitter: new LineSplitter(this.options.maxLineBytes), mapper, readOffset: offset, committed: offset, rotatedAway: false, idleSinceRotation: 0 });
    this.options.log?.info({ path, offset }, 'file input: following');
  }

  private async readNew(t: Tracked): Promise<void> {
    const size = (await t.handle.stat()).size;
    if (size < t.committed) {
      // copytruncate: the file was emptied under us; what was written since starts at 0.
      this.options.log?.warn({ path: t.path, was: t.committed, now: size }, 'file input: file shrank (copytruncate?); reading from the start');
      t.readOffset = 0;
      t.committed = 0;
      t.splitter.flush();
      this.dirty = true;
    }
    const events: Event[] = [];
    let consumed = 0;
    let budget = MAX_READ_PER_POLL;
    while (t.readOffset < size && budget > 0) {
      const { bytesRead } = await t.handle.read(this.buffer, 0, Math.min(READ_CHUNK, size - t.readOffset), t.readOffset);
      if (bytesRead === 0) break;
      t.readOffset += bytesRead;
      budget -= bytesRead;
      for (const line of t.splitter.push(this.buffer.subarray(0, bytesRead))) {
        consumed += line.bytes;
        events.push(...t.mapper.take(line.text, line.truncated));
      }
    }
    // Audit events span lines: emit what is assembled so the committed offset never passes
    // lines whose event is not yet durable. (An event its writer split across two reads is
    // then stored as two.)
    events.push(...t.mapper.flush());
    const finished = t.rotatedAway && t.readOffset >= size && ++t.idleSinceRotation > 1;
    if (finished) {
      // A rotated file that stayed quiet: its last line may lack a newline.
      for (const line of t.splitter.flush()) {
        consumed += line.bytes;
        events.push(...t.mapper.take(line.text, line.truncated));
      }
      events.push(...t.mapper.flush());
    }
    if (!(await this.submit(events))) {
      // Not durable: read the same lines again next round.
      t.readOffset = t.committed;
      t.splitter.flush();
      return;
    }
    if (consumed > 0) {
      t.committed += consumed;
      this.dirty = true;
    }
    if (finished) {
      await t.handle.close().catch(() => {});
      this.tracked.delete(t.key);
      this.stored.delete(t.key);
      this.dirty = true;
    }
  }

  private async submit(events: Event[]): Promise<boolean> {
    if (events.length === 0) return true;
    const { metrics } = this.options;
    try {
      await this.sink!.submit(events);
    } catch (error) {
      this.options.log?.warn({ error: (error as Error).message, events: events.length }, 'file input: pipeline refused a batch; will re-read it');
      return false;
    }
    metrics.received.inc({ input: INPUT }, events.length);
    for (const e of events) {
      if (e.flags.includes('unparsed')) metrics.parseFailed.inc({ input: INPUT });
      if (e.flags.includes('truncated')) metrics.truncated.inc({ input: INPUT });
    }
    return true;
  }

  private async saveOffsets(): Promise<void> {
    for (const t of this.tracked.values()) this.stored.set(t.key, { path: t.path, offset: t.committed });
    const tmp = `${this.options.offsetsFile}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.stored), null, 1), { mode: 0o600 });
    await rename(tmp, this.options.offsetsFile);
    this.dirty = false;
  }
}

/** The files a path or last-segment pattern names, sorted. */
async function expand(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return [pattern];
  const dir = dirname(pattern);
  const names = await readdir(dir).catch(() => [] as string[]);
  // A name has no '/', so glob `*` is the old `[^/]*`; globMatches cannot backtrack.
  return names.filter((n) => globMatches(name, n)).sort().map((n) => join(dir, n));
}

/**
 * Tails log files as an input of `vigil serve` (`files:` in vigil.yaml). Files are polled, not
 * watched: `fs.watch` misses events on network file systems and across rotations, and a
 * one-second poll costs one `stat` per file.
 *
 * Guarantees:
 * - A file is tracked by device and inode, so rotation by rename is followed: the old file is
 *   read to its end (late writes included) before it is let go, and the new file at the path
 *   is read from its start. A file rotated away while the server was down is found again by
 *   its inode in the directory of its old path and read to its end.
 * - Rotation by copytruncate shows as the bytes before the committed offset changing (the file
 *   shrank, or was emptied and refilled): the tail remembers the last bytes it committed, finds
 *   the copy in the same directory by those bytes, reads the copy from the committed offset to
 *   its end, and reads the truncated file from 0. Nothing the tail could ever have seen is
 *   lost. What the writer wrote between the copy and the truncation is in neither file; no
 *   reader can get it back (use rotation by rename where that matters). The copy must stay
 *   uncompressed until it was read (logrotate's `delaycompress`).
 * - The offset of a file is committed (to `offsetsFile`) only after the events before it are
 *   durable, so a crash re-reads at most what was not yet acknowledged: no loss, and
 *   duplicates only for lines read but not yet committed.
 */
import { open, readdir, rename, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
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
  /** The last bytes before `committed`, to notice the file being rewritten under us (copytruncate). */
  tail: Buffer;
  /** The path now names another file (or none): read to the end, then let go. */
  rotatedAway: boolean;
  idleSinceRotation: number;
}

interface StoredOffset {
  readonly path: string;
  readonly offset: number;
  /** Base64 of the last bytes before `offset` (see Tracked.tail). */
  readonly tail?: string;
}

/** Bytes of the committed end remembered per file: enough to tell two log lines apart. */
const TAIL_BYTES = 128;

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
    if (this.firstPoll) await this.findRotatedWhileDown(current);
    for (const t of this.tracked.values()) {
      if (!current.has(t.key)) t.rotatedAway = true;
      await this.readNew(t);
    }
    this.firstPoll = false;
    if (this.dirty) await this.saveOffsets();
  }

  /**
   * A file followed before the stop whose path now names another file was rotated by rename
   * while the server was down: find it by inode next to its old path and read it to its end.
   */
  private async findRotatedWhileDown(current: Map<string, unknown>): Promise<void> {
    for (const [key, known] of this.stored) {
      if (current.has(key) || this.tracked.has(key)) continue;
      // Same inode and the same bytes before the offset: not a new file that reused the inode.
      const found = await findInDirectory(dirname(known.path), async (s, candidate) => {
        if (`${s.dev}:${s.ino}` !== key) return false;
        if (!known.tail) return true;
        const handle = await open(candidate, 'r').catch(() => undefined);
        if (!handle) return false;
        try {
          return (await readTail(handle, known.offset)).equals(Buffer.from(known.tail, 'base64'));
        } finally {
          await handle.close();
        }
      });
      const spec = this.options.paths.find((p) => p.path === known.path || dirname(p.path) === dirname(known.path));
      if (!found || !spec) {
        this.stored.delete(key);
        this.dirty = true;
        continue;
      }
      await this.track(key, found, spec);
      const t = this.tracked.get(key);
      if (t) t.rotatedAway = true;
    }
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
    // A known offset past the end (or bytes before it that changed) is handled by readNew as a
    // copytruncate, which also finds the copy holding the lines not yet read.
    const offset = known ? known.offset : this.firstPoll && spec.startAt === 'end' ? size : 0;
    // Offsets saved before the tail was kept have none: trust them as before.
    const tail = known?.tail ? Buffer.from(known.tail, 'base64') : await readTail(handle, offset);
    const mapper = new FileRecordMapper(
      { tenant: this.options.tenant, input: INPUT, path, maxLineBytes: this.options.maxLineBytes, mapping: this.options.mapping, limits: this.options.limits, zone: this.options.zone },
      spec.format,
    );
    this.tracked.set(key, { key, path, handle, splitter: new LineSplitter(this.options.maxLineBytes), mapper, readOffset: offset, committed: offset, tail, rotatedAway: false, idleSinceRotation: 0 });
    this.options.log?.info({ path, offset }, 'file input: following');
  }

  private async readNew(t: Tracked): Promise<void> {
    let size = (await t.handle.stat()).size;
    if (size < t.committed || !(await readTail(t.handle, t.committed)).equals(t.tail)) {
      // copytruncate: the file was emptied under us (and maybe refilled past our offset). The
      // lines between our offset and the truncation are in the copy, if it is still there.
      const copy = t.committed > 0 ? await this.findCopy(t) : undefined;
      this.options.log?.warn({ path: t.path, was: t.committed, now: size, copy }, 'file input: file was truncated (copytruncate?); reading the rest of its copy, then this file from the start');
      t.readOffset = 0;
      t.committed = 0;
      t.tail = Buffer.alloc(0);
      t.splitter.flush();
      this.dirty = true;
      size = (await t.handle.stat()).size;
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
      t.tail = await readTail(t.handle, t.committed);
      this.dirty = true;
    }
    if (finished) {
      await t.handle.close().catch(() => {});
      this.tracked.delete(t.key);
      this.stored.delete(t.key);
      this.dirty = true;
    }
  }

  /**
   * The copy a copytruncate left next to the file: another file in the same directory whose
   * bytes before our committed offset are the ones we committed. Followed from that offset to
   * its end, as a file rotated away.
   */
  private async findCopy(t: Tracked): Promise<string | undefined> {
    const path = await findInDirectory(dirname(t.path), async (s, candidate) => {
      const key = `${s.dev}:${s.ino}`;
      if (key === t.key || this.tracked.has(key) || s.size < t.committed) return false;
      const handle = await open(candidate, 'r').catch(() => undefined);
      if (!handle) return false;
      try {
        return (await readTail(handle, t.committed)).equals(t.tail);
      } finally {
        await handle.close();
      }
    });
    if (!path) return undefined;
    const s = await stat(path);
    const key = `${s.dev}:${s.ino}`;
    this.stored.set(key, { path, offset: t.committed, tail: t.tail.toString('base64') });
    const spec = this.options.paths.find((p) => dirname(p.path) === dirname(t.path)) ?? { path: t.path, format: 'auto', startAt: 'beginning' };
    await this.track(key, path, spec);
    const copy = this.tracked.get(key);
    if (copy) copy.rotatedAway = true;
    return path;
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
    for (const t of this.tracked.values()) this.stored.set(t.key, { path: t.path, offset: t.committed, tail: t.tail.toString('base64') });
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

/** The last bytes before `offset` (fewer when the file is shorter). */
async function readTail(handle: FileHandle, offset: number): Promise<Buffer> {
  const start = Math.max(0, offset - TAIL_BYTES);
  const buffer = Buffer.alloc(offset - start);
  if (buffer.length === 0) return buffer;
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
  return buffer.subarray(0, bytesRead);
}

/** The first regular file in `dir` that `matches` accepts. */
async function findInDirectory(dir: string, matches: (s: Stats, path: string) => boolean | Promise<boolean>): Promise<string | undefined> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile() && (await matches(s, path))) return path;
  }
  return undefined;
}

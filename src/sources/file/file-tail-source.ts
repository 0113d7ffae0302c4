/**
 * Tails log files as an input of `vigil serve` (`files:` in vigil.yaml). Files are polled, not
 * watched: `fs.watch` misses events on network file systems and across rotations, and a
 * one-second poll costs one `stat` per file.
 *
 * Guarantees:
 * - A file is tracked by device and inode, so rotation by rename is followed: the old file is
 *   read to its end, and then on for as long as a writer that still holds it open adds lines,
 *   until it has been quiet for `rotatedQuietMs`; the new file at the path is read from its
 *   start. A file rotated away while the server was down is found again by its inode in the
 *   directory of its old path and read to its end.
 * - Rotation by copytruncate shows as the file's first bytes or the bytes before the committed
 *   offset changing, or the file being shorter than seen (emptied, maybe refilled): the tail
 *   remembers those bytes as it read them, finds the copy in the same directory by them, reads
 *   the copy from the committed offset to its end, and reads the truncated file from 0. Nothing
 *   that reached the copy is lost (but for a file of which the tail never saw a byte). What the writer wrote between the copy and the truncation is in neither file;
 *   no reader can get it back (logrotate documents this window; use rotation by rename where
 *   it matters); the part of it the tail had seen is counted in `vigil_file_lost_bytes_total`.
 *   The copy must stay uncompressed until it was read (logrotate's `delaycompress`).
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
  /**
   * How long a file rotated away must stay quiet before it is let go (default 5 s): a writer
   * that still holds it open may write on after the rename until it reopens its log.
   */
  readonly rotatedQuietMs?: number;
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
  /** The last bytes before `readOffset`, as they were read. */
  readTail: Buffer;
  /** Start of the first line not yet durable. */
  committed: number;
  /**
   * The last bytes before `committed`, to notice the file being rewritten under us
   * (copytruncate). Always the bytes as they were read, never read again later: by then the
   * file may have been truncated, and bytes of the new generation here would hide the copy.
   */
  tail: Buffer;
  /**
   * The first bytes of this generation, as read (once lines are committed, at most up to
   * `committed`): with nothing committed yet there is no `tail`, and a file truncated between
   * being found and being read is told by these, and its copy found by them.
   */
  head: Buffer;
  /** The largest size seen of this generation: bytes known to have been in the file. */
  seenSize: number;
  /** The path now names another file (or none): read to the end, then let go once quiet. */
  rotatedAway: boolean;
  /** When the file last gave bytes, or was found rotated away (performance.now()). */
  lastActive: number;
  /** Polls since then that found nothing new. */
  idlePolls: number;
}

interface StoredOffset {
  readonly path: string;
  readonly offset: number;
  /** Base64 of the last bytes before `offset` (see Tracked.tail). */
  readonly tail?: string;
  /** Base64 of the first bytes of the file (see Tracked.head). */
  readonly head?: string;
}

/** Bytes of the committed end remembered per file: enough to tell two log lines apart. */
const TAIL_BYTES = 128;

const INPUT = 'file';
/** Per file and poll, so one busy file cannot starve the others. */
const MAX_READ_PER_POLL = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const DEFAULT_ROTATED_QUIET_MS = 5_000;

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
      if (!current.has(t.key)) markRotated(t);
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
      // Same inode and the same bytes at the start and before the offset: not a new file that
      // reused the inode.
      const found = await findInDirectory(dirname(known.path), async (s, candidate) => {
        if (`${s.dev}:${s.ino}` !== key) return false;
        const handle = await open(candidate, 'r').catch(() => undefined);
        if (!handle) return false;
        try {
          return await holds(handle, decode(known.head), known.offset, decode(known.tail));
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
      if (t) markRotated(t);
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
    const s = await handle.stat();
    if (`${s.dev}:${s.ino}` !== key) {
      // Rotated between the directory scan and the open: the path names another file now. Its
      // offset must not be applied to this one; the next poll sees the path as it is.
      await handle.close().catch(() => {});
      return;
    }
    const known = this.stored.get(key);
    // `startAt: end` is for a path seen for the first time. A new file at a path followed
    // before the stop is a generation created by a rotation while the server was down: all of
    // it is new.
    const followedBefore = [...this.stored.values()].some((o) => o.path === path);
    // A known offset past the end (or bytes before it that changed) is handled by readNew as a
    // copytruncate, which also finds the copy holding the lines not yet read.
    const offset = known ? known.offset : this.firstPoll && spec.startAt === 'end' && !followedBefore ? s.size : 0;
    // Offsets saved before the tail was kept have none: trust them as before.
    const tail = known?.tail ? decode(known.tail) : await readTail(handle, offset);
    const head = known?.head ? decode(known.head) : await readTail(handle, Math.min(s.size, TAIL_BYTES));
    const mapper = new FileRecordMapper(
      { tenant: this.options.tenant, input: INPUT, path, maxLineBytes: this.options.maxLineBytes, mapping: this.options.mapping, limits: this.options.limits, zone: this.options.zone },
      spec.format,
    );
    this.tracked.set(key, {
      key,
      path,
      handle,
      splitter: new LineSplitter(this.options.maxLineBytes),
      mapper,
      readOffset: offset,
      readTail: tail,
      committed: offset,
      tail,
      head,
      seenSize: Math.max(offset, s.size),
      rotatedAway: false,
      lastActive: performance.now(),
      idlePolls: 0,
    });
    this.options.log?.info({ path, offset }, 'file input: following');
  }

  private async readNew(t: Tracked): Promise<void> {
    let size = (await t.handle.stat()).size;
    if (await rewritten(t, size, Math.max(t.committed, t.seenSize))) {
      await this.followTruncation(t);
      size = (await t.handle.stat()).size;
    }
    const events: Event[] = [];
    const readFrom = t.readOffset;
    let consumed = 0;
    let budget = MAX_READ_PER_POLL;
    // The last bytes before the read position and before the end of the last whole line, kept
    // from the bytes read (see Tracked.tail).
    let readTail = t.readTail;
    let tail = t.tail;
    let head = t.head;
    while (t.readOffset < size && budget > 0) {
      const { bytesRead } = await t.handle.read(this.buffer, 0, Math.min(READ_CHUNK, size - t.readOffset), t.readOffset);
      if (bytesRead === 0) break;
      const chunk = this.buffer.subarray(0, bytesRead);
      const chunkStart = t.readOffset;
      if (head.length < TAIL_BYTES && chunkStart <= head.length) {
        head = Buffer.concat([head, chunk.subarray(head.length - chunkStart, TAIL_BYTES - chunkStart)]);
      }
      t.readOffset += bytesRead;
      budget -= bytesRead;
      for (const line of t.splitter.push(chunk)) {
        consumed += line.bytes;
        events.push(...t.mapper.take(line.text, line.truncated));
      }
      const linesEndInChunk = t.committed + consumed - chunkStart;
      if (linesEndInChunk > 0) tail = lastBytes(readTail, chunk.subarray(0, linesEndInChunk));
      readTail = lastBytes(readTail, chunk);
    }
    // Audit events span lines: emit what is assembled so the committed offset never passes
    // lines whose event is not yet durable. (An event its writer split across two reads is
    // then stored as two.)
    events.push(...t.mapper.flush());
    const sizeAfter = (await t.handle.stat()).size;
    if (t.readOffset > readFrom && (await rewritten(t, sizeAfter, t.readOffset))) {
      // Truncated (and maybe refilled) while we read: the bytes may mix two generations. Drop
      // them; the next round follows the truncation from what was committed.
      this.rewind(t);
      return;
    }
    t.seenSize = Math.max(t.seenSize, sizeAfter);
    const now = performance.now();
    if (t.readOffset > readFrom) {
      t.lastActive = now;
      t.idlePolls = 0;
    } else if (t.rotatedAway) {
      t.idlePolls++;
    }
    const finished = t.rotatedAway && t.readOffset >= sizeAfter && t.idlePolls > 0 && now - t.lastActive >= (this.options.rotatedQuietMs ?? DEFAULT_ROTATED_QUIET_MS);
    if (finished) {
      // A rotated file that stayed quiet: its last line may lack a newline.
      for (const line of t.splitter.flush()) {
        consumed += line.bytes;
        events.push(...t.mapper.take(line.text, line.truncated));
      }
      events.push(...t.mapper.flush());
      tail = readTail;
    }
    const durable = await this.submit(events);
    if (durable) {
      t.readTail = readTail;
      if (consumed > 0) {
        t.committed += consumed;
        t.tail = tail;
        this.dirty = true;
      }
    }
    // Once lines are committed, the head covers only them: a copy ends at least there, while
    // bytes after it may be in neither file (copytruncate's window) and must not make the
    // copy unrecognisable.
    t.head = t.committed > 0 ? head.subarray(0, Math.min(TAIL_BYTES, t.committed)) : head;
    if (!durable) {
      // Not durable: read the same lines again next round.
      this.rewind(t);
      return;
    }
    if (finished) {
      await t.handle.close().catch(() => {});
      this.tracked.delete(t.key);
      this.stored.delete(t.key);
      this.dirty = true;
    }
  }

  /** Back to the committed offset: what was read after it is read again. */
  private rewind(t: Tracked): void {
    t.readOffset = t.committed;
    t.readTail = t.tail;
    t.splitter.flush();
  }

  /**
   * The file was emptied under us (copytruncate), and maybe refilled. The lines between our
   * offset and the truncation are in the copy, if it is still there; what the tail had seen
   * of the file past the copy's end (or at all, with no copy) is lost, and counted.
   */
  private async followTruncation(t: Tracked): Promise<void> {
    const copy = t.committed > 0 || t.head.length > 0 ? await this.findCopy(t) : undefined;
    const lost = Math.max(0, t.seenSize - Math.max(copy?.size ?? 0, t.committed));
    if (lost > 0) this.options.metrics.fileLostBytes.inc({ input: INPUT, reason: copy ? 'not-in-copy' : 'no-copy' }, lost);
    this.options.log?.warn(
      { path: t.path, was: t.committed, seen: t.seenSize, copy: copy?.path, lostBytes: lost },
      'file input: file was truncated (copytruncate?); reading the rest of its copy, then this file from the start',
    );
    t.readOffset = 0;
    t.readTail = Buffer.alloc(0);
    t.committed = 0;
    t.tail = Buffer.alloc(0);
    t.head = Buffer.alloc(0);
    t.seenSize = 0;
    t.splitter.flush();
    this.dirty = true;
  }

  /**
   * The copy a copytruncate left next to the file: another file in the same directory that
   * starts with the bytes the file started with and has the bytes we committed before our
   * committed offset. Followed from that offset to its end, as a file rotated away.
   */
  private async findCopy(t: Tracked): Promise<{ path: string; size: number } | undefined> {
    const path = await findInDirectory(dirname(t.path), async (s, candidate) => {
      const key = `${s.dev}:${s.ino}`;
      if (key === t.key || this.tracked.has(key) || s.size < t.committed) return false;
      const handle = await open(candidate, 'r').catch(() => undefined);
      if (!handle) return false;
      try {
        return await holds(handle, t.head, t.committed, t.tail);
      } finally {
        await handle.close();
      }
    });
    if (!path) return undefined;
    const s = await stat(path);
    const key = `${s.dev}:${s.ino}`;
    this.stored.set(key, { path, offset: t.committed, tail: t.tail.toString('base64'), head: t.head.toString('base64') });
    const spec = this.options.paths.find((p) => dirname(p.path) === dirname(t.path)) ?? { path: t.path, format: 'auto', startAt: 'beginning' };
    await this.track(key, path, spec);
    const copy = this.tracked.get(key);
    if (copy) markRotated(copy);
    return { path, size: s.size };
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
    for (const t of this.tracked.values()) {
      this.stored.set(t.key, { path: t.path, offset: t.committed, tail: t.tail.toString('base64'), head: t.head.toString('base64') });
    }
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

function markRotated(t: Tracked): void {
  if (t.rotatedAway) return;
  t.rotatedAway = true;
  t.lastActive = performance.now();
  t.idlePolls = 0;
}

/**
 * Whether the file is no longer the one we read: shorter than `end` (bytes known to have been
 * there), or other bytes at its start or before the committed offset than the ones we read.
 */
async function rewritten(t: Tracked, size: number, end: number): Promise<boolean> {
  return size < end || !(await holds(t.handle, t.head, t.committed, t.tail));
}

/**
 * Whether a file starts with `head` and has `tail` just before `offset`. Empty ones are not
 * checked (nothing read yet; offsets saved before they were kept).
 */
async function holds(handle: FileHandle, head: Buffer, offset: number, tail: Buffer): Promise<boolean> {
  if (head.length > 0 && !(await readTail(handle, head.length)).equals(head)) return false;
  return tail.length === 0 || (await readTail(handle, offset)).equals(tail);
}

function decode(base64: string | undefined): Buffer {
  return Buffer.from(base64 ?? '', 'base64');
}

/** A copy of the last TAIL_BYTES of `before` followed by `more` (the read buffer is reused). */
function lastBytes(before: Buffer, more: Buffer): Buffer {
  if (more.length >= TAIL_BYTES) return Buffer.from(more.subarray(more.length - TAIL_BYTES));
  const keep = Math.min(before.length, TAIL_BYTES - more.length);
  return Buffer.concat([before.subarray(before.length - keep), more]);
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

/**
 * The interleavings of a writer, a rotation and the tail that lost lines under load (docs/
 * reliability.md, "File tail under rotation"). Each case replays one order of events exactly:
 * the sink below runs the writer's steps while the tail waits for a batch to become durable,
 * which is where a loaded machine had the rotation happen.
 */
import { strict as assert } from 'node:assert';
import { appendFile, copyFile, mkdtemp, open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { Metrics } from '../../core/metrics.js';
import type { EventSink } from '../../core/source.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { FileTailSource, type TailedPath } from './file-tail-source.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Stores batches; `duringNextSubmit` runs once while a batch is being made durable. */
class SlowSink implements EventSink {
  readonly events: Event[] = [];
  refuse = false;
  duringNextSubmit: (() => Promise<void>) | undefined;
  async submit(events: readonly Event[]): Promise<void> {
    const step = this.duringNextSubmit;
    this.duringNextSubmit = undefined;
    if (step) await step();
    if (this.refuse) throw new VigilError('overloaded', 'busy');
    this.events.push(...events);
  }
  messages(): string[] {
    return this.events.map((e) => String(e.fields['message']));
  }
}

const ROTATED_QUIET_MS = 2_000;

async function setup(startAt: TailedPath['startAt'] = 'beginning') {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-rotation-'));
  dirs.push(dir);
  const file = join(dir, 'app.log');
  const metrics = new Metrics();
  const make = () =>
    new FileTailSource({
      tenant: 'default',
      paths: [{ path: file, format: 'syslog', startAt }],
      offsetsFile: join(dir, 'offsets.json'),
      pollMs: 60_000, // the tests drive poll() themselves
      rotatedQuietMs: ROTATED_QUIET_MS,
      maxLineBytes: 4096,
      mapping: jsonRecordMapping,
      limits: { maxJsonDepth: 16, maxFieldsPerEvent: 64 },
      metrics,
    });
  return { dir, file, make, metrics };
}

const line = (n: number) => `<13>Nov 28 10:00:00 host app[1]: line ${n}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');
const all = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
const sorted = (messages: string[]) => [...messages].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
const inodeKey = async (path: string) => {
  const s = await stat(path);
  return `${s.dev}:${s.ino}`;
};

async function lostBytes(metrics: Metrics, reason: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith('vigil_file_lost_bytes_total{') && l.includes(`reason="${reason}"`));
  return found ? Number(found.slice(found.lastIndexOf(' ') + 1)) : 0;
}

describe('FileTailSource under rotation races', () => {
  it('copytruncate while a batch is being made durable: the lines appended before the copy are read from the copy', async () => {
    const { file, make, metrics } = await setup();
    await writeFile(file, lines(0, 2));
    const sink = new SlowSink();
    // The first batch (lines 0-1) is slow to become durable; meanwhile the writer appends lines
    // 2-3, logrotate copies the file and truncates it, and the writer goes on with line 4.
    sink.duringNextSubmit = async () => {
      await appendFile(file, lines(2, 4));
      await copyFile(file, `${file}.1`);
      await truncate(file, 0);
      await appendFile(file, lines(4, 5));
    };
    const tail = make();
    await tail.start(sink);
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), all(0, 5));
    assert.equal(await lostBytes(metrics, 'not-in-copy') + (await lostBytes(metrics, 'no-copy')), 0);
    await tail.stop();
  });

  it('copytruncate while a batch is being made durable and the file refilled past the offset: nothing lost, nothing twice', async () => {
    const { file, make } = await setup();
    await writeFile(file, lines(0, 2));
    const sink = new SlowSink();
    sink.duringNextSubmit = async () => {
      await appendFile(file, lines(2, 4));
      await copyFile(file, `${file}.1`);
      await truncate(file, 0);
      await appendFile(file, lines(10, 20)); // longer than the old offset
    };
    const tail = make();
    await tail.start(sink);
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), [...all(0, 4), ...all(10, 20)]);
    await tail.stop();
  });

  it('a file found after a rename and copied and truncated before the tail first read it: its lines are read from the copy', async () => {
    const { file, make, metrics } = await setup();
    await writeFile(file, lines(0, 1));
    const sink = new SlowSink();
    const tail = make();
    await tail.start(sink);
    const writer = await open(file, 'a');
    await rename(file, `${file}.1`);
    await writeFile(file, lines(10, 12)); // the new generation, found by the next poll
    await writer.appendFile(lines(1, 2)); // a late line in the renamed file: read before the new one
    await writer.close();
    // While the late line is made durable, the new file is rotated by copytruncate, before the
    // tail read any of it (a loaded machine, a fast writer).
    sink.duringNextSubmit = async () => {
      await copyFile(file, `${file}.2`);
      await truncate(file, 0);
      await appendFile(file, lines(12, 13));
    };
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), [...all(0, 2), ...all(10, 13)]);
    assert.equal(await lostBytes(metrics, 'no-copy'), 0);
    await tail.stop();
  });

  it('copytruncate with a write between the copy and the truncation: the line is in neither file, and is counted when the tail had seen it', async () => {
    const { file, make, metrics } = await setup();
    await writeFile(file, lines(0, 2));
    const sink = new SlowSink();
    const tail = make();
    await tail.start(sink);
    await appendFile(file, lines(2, 3));
    await copyFile(file, `${file}.1`);
    await appendFile(file, lines(3, 4)); // logrotate's window: after the copy, before the truncation
    sink.refuse = true; // the pipeline is full: the tail sees lines 2-3 but cannot commit them
    await tail.poll();
    sink.refuse = false;
    await truncate(file, 0);
    await appendFile(file, lines(4, 5));
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), [...all(0, 3), ...all(4, 5)]);
    assert.equal(await lostBytes(metrics, 'not-in-copy'), Buffer.byteLength(line(3)));
    await tail.stop();
  });

  it('truncation without a copy (or a copy compressed before it was read): the bytes the tail had seen but not read are counted as lost', async () => {
    const { file, make, metrics } = await setup();
    await writeFile(file, lines(0, 2));
    const sink = new SlowSink();
    const tail = make();
    await tail.start(sink);
    await appendFile(file, lines(2, 4));
    sink.refuse = true;
    await tail.poll();
    sink.refuse = false;
    await truncate(file, 0);
    await appendFile(file, lines(4, 5));
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), [...all(0, 2), ...all(4, 5)]);
    assert.equal(await lostBytes(metrics, 'no-copy'), Buffer.byteLength(lines(2, 4)));
    await tail.stop();
  });

  it('rename while a batch is being made durable, the tail polling only after the new file exists: the old file is drained to its end', async () => {
    const { file, make } = await setup();
    await writeFile(file, lines(0, 2));
    const sink = new SlowSink();
    sink.duringNextSubmit = async () => {
      await appendFile(file, lines(2, 4)); // after the tail's last read of the old file
      await rename(file, `${file}.1`);
      await writeFile(file, lines(4, 6));
    };
    const tail = make();
    await tail.start(sink);
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sorted(sink.messages()), all(0, 6));
    await tail.stop();
  });

  it('rename with a writer that still holds the old file: its late lines are read until the file was quiet for rotatedQuietMs, then the file is let go', async () => {
    const { file, make, dir } = await setup();
    await writeFile(file, lines(0, 1));
    const sink = new SlowSink();
    const tail = make();
    await tail.start(sink);
    const writer = await open(file, 'a');
    const oldKey = await inodeKey(file);
    await rename(file, `${file}.1`);
    await writeFile(file, lines(10, 11));
    await tail.poll();
    await tail.poll();
    await tail.poll(); // three polls at the end of the old file, all within rotatedQuietMs
    await writer.appendFile(lines(1, 2));
    await tail.poll();
    await sleep(ROTATED_QUIET_MS * 0.6);
    await writer.appendFile(lines(2, 3)); // quiet restarts with every line read
    await tail.poll();
    await sleep(ROTATED_QUIET_MS * 0.6);
    await tail.poll();
    let offsets = JSON.parse(await readFile(join(dir, 'offsets.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(oldKey in offsets, 'still followed: quiet for less than rotatedQuietMs since line 2');
    await sleep(ROTATED_QUIET_MS);
    await tail.poll();
    offsets = JSON.parse(await readFile(join(dir, 'offsets.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(!(oldKey in offsets), 'let go after it was quiet');
    await writer.close();
    assert.deepEqual(sorted(sink.messages()), [...all(0, 3), ...all(10, 11)]);
    await tail.stop();
  });

  it('a crash while a renamed file is being drained: the restart reads the rest of the renamed file and the new file each from its own offset', async () => {
    const { dir, file, make } = await setup();
    await writeFile(file, lines(0, 2));
    const first = new SlowSink();
    const tail = make();
    await tail.start(first);
    const writer = await open(file, 'a');
    await writer.appendFile(lines(2, 3));
    await rename(file, `${file}.1`);
    await writeFile(file, lines(10, 12));
    await tail.poll(); // reads line 2 from the old file, 10-11 from the new one; saves both offsets
    // SIGKILL here: what survives is the offsets file as this poll saved it.
    const saved = await readFile(join(dir, 'offsets.json'));
    await tail.stop();
    await writeFile(join(dir, 'offsets.json'), saved);
    await writer.appendFile(lines(3, 4)); // a late line into the renamed file while the server is down
    await writer.close();
    await appendFile(file, lines(12, 13));

    const second = new SlowSink();
    const again = make();
    await again.start(second);
    await again.poll();
    assert.deepEqual(sorted(first.messages()), [...all(0, 3), ...all(10, 12)]);
    assert.deepEqual(sorted(second.messages()), [...all(3, 4), ...all(12, 13)], 'nothing lost, nothing read twice, no offset applied to the other file');
    await again.stop();
  });

  it('startAt: end does not skip a new generation created by a rename while the server was down', async () => {
    const { file, make } = await setup('end');
    await writeFile(file, lines(0, 2));
    const first = new SlowSink();
    let tail = make();
    await tail.start(first);
    await appendFile(file, lines(2, 3));
    await tail.poll();
    await tail.stop();
    await appendFile(file, lines(3, 4));
    await rename(file, `${file}.1`);
    await writeFile(file, lines(4, 6));
    const second = new SlowSink();
    tail = make();
    await tail.start(second);
    await tail.poll();
    assert.deepEqual(first.messages(), all(2, 3), 'lines there before the first start are skipped');
    assert.deepEqual(sorted(second.messages()), all(3, 6));
    await tail.stop();
  });
});

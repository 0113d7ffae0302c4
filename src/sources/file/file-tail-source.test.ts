import { strict as assert } from 'node:assert';
import { appendFile, copyFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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

class RecordingSink implements EventSink {
  readonly events: Event[] = [];
  refuse = false;
  async submit(events: readonly Event[]): Promise<void> {
    if (this.refuse) throw new VigilError('overloaded', 'busy');
    this.events.push(...events);
  }
  messages(): string[] {
    return this.events.map((e) => String(e.fields['message']));
  }
}

async function setup(paths: (dir: string) => TailedPath[], maxLineBytes = 4096) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-tail-'));
  dirs.push(dir);
  const make = () =>
    new FileTailSource({
      tenant: 'default',
      paths: paths(dir),
      offsetsFile: join(dir, 'offsets.json'),
      pollMs: 60_000, // the tests drive poll() themselves
      maxLineBytes,
      mapping: jsonRecordMapping,
      limits: { maxJsonDepth: 16, maxFieldsPerEvent: 64 },
      metrics: new Metrics(),
    });
  return { dir, make };
}

const line = (n: number) => `<13>Nov 28 10:00:00 host app[1]: line ${n}\n`;
const all = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

describe('FileTailSource (files: in vigil.yaml)', () => {
  it('reads a file from the start, then only what is appended; a half-written line waits for its newline', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'auto', startAt: 'beginning' }]);
    const file = join(dir, 'app.log');
    await writeFile(file, line(0) + line(1));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    assert.deepEqual(sink.messages(), all(0, 2));
    await appendFile(file, line(2) + '<13>Nov 28 10:00:00 host app[1]: line 3');
    await tail.poll();
    assert.deepEqual(sink.messages(), all(0, 3));
    await appendFile(file, '\n');
    await tail.poll();
    assert.deepEqual(sink.messages(), all(0, 4));
    assert.equal(sink.events[0]!.source.kind, 'file');
    assert.equal(sink.events[0]!.source.address, file);
    await tail.stop();
  });

  it('follows rotation by rename, including a late write to the rotated file', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'auth.log'), format: 'syslog', startAt: 'beginning' }]);
    const file = join(dir, 'auth.log');
    await writeFile(file, line(0));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    await rename(file, `${file}.1`);
    await appendFile(`${file}.1`, line(1)); // the writer still had the old file open
    await writeFile(file, line(2));
    await tail.poll();
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sink.messages().sort(), all(0, 3));
    await tail.stop();
  });

  it('starts again at 0 after copytruncate', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }]);
    const file = join(dir, 'app.log');
    await writeFile(file, line(0) + line(1) + line(2));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    await truncate(file, 0);
    await appendFile(file, line(3));
    await tail.poll();
    assert.deepEqual(sink.messages(), all(0, 4));
    await tail.stop();
  });

  it('after copytruncate, reads the lines it had not yet read from the copy, even when the file refilled past its offset', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }]);
    const file = join(dir, 'app.log');
    await writeFile(file, line(0) + line(1));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    await appendFile(file, line(2) + line(3)); // written, not yet read
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    await appendFile(file, line(4) + line(5) + line(6)); // longer than the old offset: no shrink to see
    await tail.poll();
    await tail.poll();
    await tail.poll();
    assert.deepEqual(sink.messages().sort(), all(0, 7).sort());
    await tail.stop();
  });

  it('after a restart, finds a file rotated by rename or copytruncate while it was down and reads the rest of it', async () => {
    for (const rotation of ['rename', 'copytruncate'] as const) {
      const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }]);
      const file = join(dir, 'app.log');
      await writeFile(file, line(0) + line(1));
      const first = new RecordingSink();
      let tail = make();
      await tail.start(first);
      await tail.stop();
      await appendFile(file, line(2)); // written while the server was down
      if (rotation === 'rename') {
        await rename(file, `${file}.1`);
        await writeFile(file, line(3) + line(4) + line(5));
      } else {
        await copyFile(file, `${file}.1`);
        await truncate(file, 0);
        await appendFile(file, line(3) + line(4) + line(5));
      }
      const second = new RecordingSink();
      tail = make();
      await tail.start(second);
      await tail.poll();
      await tail.poll();
      assert.deepEqual(first.messages(), all(0, 2), rotation);
      assert.deepEqual(second.messages().sort(), all(2, 6).sort(), rotation);
      await tail.stop();
    }
  });

  it('resumes after a restart from the committed offset: nothing lost, nothing twice', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }]);
    const file = join(dir, 'app.log');
    await writeFile(file, line(0) + line(1));
    const first = new RecordingSink();
    let tail = make();
    await tail.start(first);
    await tail.stop();
    await appendFile(file, line(2));
    const second = new RecordingSink();
    tail = make();
    await tail.start(second);
    assert.deepEqual(first.messages(), all(0, 2));
    assert.deepEqual(second.messages(), all(2, 3));
    await tail.stop();
  });

  it('re-reads lines the pipeline refused instead of skipping them', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }]);
    await writeFile(join(dir, 'app.log'), line(0));
    const sink = new RecordingSink();
    sink.refuse = true;
    const tail = make();
    await tail.start(sink);
    assert.equal(sink.events.length, 0);
    sink.refuse = false;
    await tail.poll();
    assert.deepEqual(sink.messages(), all(0, 1));
    await tail.stop();
  });

  it('picks up new files matching a pattern, and honours startAt: end for files already there', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, '*.log'), format: 'syslog', startAt: 'end' }]);
    await writeFile(join(dir, 'old.log'), line(0));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    assert.equal(sink.events.length, 0, 'existing content is skipped with startAt: end');
    await appendFile(join(dir, 'old.log'), line(1));
    await writeFile(join(dir, 'new.log'), line(2));
    await writeFile(join(dir, 'ignored.txt'), line(9));
    await tail.poll();
    assert.deepEqual(sink.messages().sort(), all(1, 3));
    await tail.stop();
  });

  it('cuts an oversized line, flags it, and keeps memory bounded', async () => {
    const { dir, make } = await setup((d) => [{ path: join(d, 'app.log'), format: 'syslog', startAt: 'beginning' }], 100);
    await writeFile(join(dir, 'app.log'), 'x'.repeat(5_000_000) + '\n' + line(1));
    const sink = new RecordingSink();
    const tail = make();
    await tail.start(sink);
    assert.equal(sink.events.length, 2);
    assert.ok(sink.events[0]!.flags.includes('truncated'));
    assert.equal(sink.events[0]!.original.length, 100);
    assert.equal(sink.events[1]!.fields['message'], 'line 1');
    await tail.stop();
  });
});

import { strict as assert } from 'node:assert';
import { appendFile, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEvent, type Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { busSuite } from '../bus.suite.js';
import { FileLog, type FileLogOptions } from './file-log.js';
import { segmentFileName } from './record-format.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-log-'));
  dirs.push(d);
  return d;
}

function events(n: number, tag = 'e'): Event[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      tenant: 'default',
      received: Date.now(),
      source: { input: 'test', kind: 'http-ingest' },
      format: 'json',
      original: `{"n":${i}}`,
      fields: { message: `${tag}-${i}` },
    }),
  );
}

function options(dir: string, extra: Partial<FileLogOptions> = {}): FileLogOptions {
  return { dir, segmentBytes: 1024 * 1024, maxQueueEvents: 100_000, ...extra };
}

busSuite('FileLog', async () => {
  const dir = await tempDir();
  return { bus: await FileLog.open(options(dir)), reopen: (from) => FileLog.open(options(dir, { from })), cleanup: async () => {} };
});

async function drain(log: FileLog, max = 1000): Promise<{ messages: string[]; position: string | undefined }> {
  const messages: string[] = [];
  let position: string | undefined;
  const ac = new AbortController();
  while (log.depth() > messages.length) {
    const batch = await log.pull(max, ac.signal);
    if (!batch) break;
    for (const e of batch.events) messages.push(String(e.fields.message));
    position = batch.position;
  }
  return { messages, position };
}

describe('FileLog (embedded event log)', () => {
  it('hands published events to the consumer in order', async () => {
    const log = await FileLog.open(options(await tempDir()));
    await log.publish(events(3, 'a'));
    await log.publish(events(2, 'b'));
    const { messages } = await drain(log);
    assert.deepEqual(messages, ['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    await log.close();
  });

  it('groups concurrent publishes and resolves each only after the data is on disk', async () => {
    const dir = await tempDir();
    const log = await FileLog.open(options(dir));
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.publish(events(10, `p${i}`))));
    const size = (await stat(join(dir, segmentFileName(1)))).size;
    assert.ok(size > 50 * 10 * 50, `segment holds the data (${size} bytes)`);
    assert.equal(log.depth(), 500);
    await log.close();
  });

  it('replays everything after the committed position when reopened', async () => {
    const dir = await tempDir();
    const first = await FileLog.open(options(dir));
    await first.publish(events(3, 'old'));
    const ac = new AbortController();
    const batch = await first.pull(1000, ac.signal);
    assert.ok(batch);
    await first.commit(batch.position);
    await first.publish(events(2, 'new'));
    await first.close();

    const second = await FileLog.open(options(dir, { from: batch.position }));
    assert.equal(second.depth(), 2);
    const { messages } = await drain(second);
    assert.deepEqual(messages, ['new-0', 'new-1']);
    await second.close();
  });

  it('replays the whole log when nothing was committed', async () => {
    const dir = await tempDir();
    const first = await FileLog.open(options(dir));
    await first.publish(events(4, 'x'));
    await first.close();
    const second = await FileLog.open(options(dir));
    assert.deepEqual((await drain(second)).messages, ['x-0', 'x-1', 'x-2', 'x-3']);
    await second.close();
  });

  it('discards a torn write at the tail (never acknowledged) and keeps the records before it', async () => {
    const dir = await tempDir();
    const first = await FileLog.open(options(dir));
    await first.publish(events(2, 'ok'));
    await first.close();
    await appendFile(join(dir, segmentFileName(1)), Buffer.from([0x56, 0x47, 0x4c, 0x31, 0, 0, 1, 0, 0, 0]));
    const warnings: string[] = [];
    const second = await FileLog.open(options(dir, { onWarning: (m) => warnings.push(m) }));
    assert.match(warnings.join('\n'), /unfinished write/);
    await second.publish(events(1, 'after'));
    assert.deepEqual((await drain(second)).messages, ['ok-0', 'ok-1', 'after-0']);
    await second.close();
  });

  it('skips a damaged record in the middle and recovers the ones after it', async () => {
    const dir = await tempDir();
    const first = await FileLog.open(options(dir, { segmentBytes: 1024 * 1024 }));
    await first.publish(events(1, 'one'));
    await first.publish(events(1, 'two'));
    await first.publish(events(1, 'three'));
    await first.close();
    // Flip a byte inside the second record's payload.
    const path = join(dir, segmentFileName(1));
    const fh = await open(path, 'r+');
    const { size } = await fh.stat();
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    const second = buf.indexOf('two');
    await fh.write(Buffer.from('X'), 0, 1, second);
    await fh.close();
    // The tail is intact, so open keeps the file; the reader skips the bad record.
    const log = await FileLog.open(options(dir));
    const ac = new AbortController();
    const got: string[] = [];
    for (let i = 0; i < 3 && got.length < 2; i++) {
      const batch = await log.pull(1000, ac.signal);
      for (const e of batch?.events ?? []) got.push(String(e.fields.message));
    }
    assert.deepEqual(got, ['one-0', 'three-0']);
    assert.ok(log.corruptBytesSkipped > 0);
    await log.close();
  });

  it('rolls segments and deletes the ones wholly committed', async () => {
    const dir = await tempDir();
    const log = await FileLog.open(options(dir, { segmentBytes: 1024 * 1024 }));
    const big = 'y'.repeat(2000);
    for (let i = 0; i < 12; i++) {
      await log.publish(events(100, big));
    }
    const segmentsBefore = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    assert.ok(segmentsBefore > 1, `rolled into ${segmentsBefore} segments`);
    const { messages, position } = await drain(log, 5000);
    assert.equal(messages.length, 1200);
    assert.ok(position);
    await log.commit(position);
    const segmentsAfter = (await readdir(dir)).filter((n) => n.endsWith('.wal')).length;
    assert.equal(segmentsAfter, 1);
    assert.equal(log.depth(), 0);
    await log.close();
  });

  it('reads back from disk when the consumer falls behind the memory budget', async () => {
    const dir = await tempDir();
    const log = await FileLog.open(options(dir, { memoryEvents: 10 }));
    for (let i = 0; i < 10; i++) await log.publish(events(5, `m${i}`));
    const { messages } = await drain(log, 7);
    assert.equal(messages.length, 50);
    assert.equal(messages[0], 'm0-0');
    assert.equal(messages[49], 'm9-4');
    await log.close();
  });

  it('refuses publishes with "overloaded" once the backlog reaches its limit', async () => {
    const log = await FileLog.open(options(await tempDir(), { maxQueueEvents: 10 }));
    await log.publish(events(8));
    await assert.rejects(log.publish(events(5)), (e: unknown) => e instanceof VigilError && e.code === 'overloaded');
    await log.publish(events(2));
    await log.close();
  });

  it('a pull waiting for data returns undefined when aborted', async () => {
    const log = await FileLog.open(options(await tempDir()));
    const ac = new AbortController();
    const pending = log.pull(10, ac.signal);
    setTimeout(() => ac.abort(), 20);
    assert.equal(await pending, undefined);
    await log.close();
  });
});

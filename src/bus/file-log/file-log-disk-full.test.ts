/**
 * The event log on a filesystem that runs out of room (a real, tiny tmpfs: needs root, else the
 * tests skip and say why). A write that does not fit is refused with `store-unavailable` (HTTP
 * 503) and leaves no half record behind; a segment that cannot be created (no inode left) keeps
 * the log on its current segment instead of crashing the process; both recover by themselves
 * once room returns.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEvent, type Event } from '../../core/event.js';
import { isVigilError } from '../../core/errors.js';
import { FileLog } from './file-log.js';

const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    execFileSync('umount', ['-l', m]);
    rmSync(m, { recursive: true, force: true });
  }
});

/** A tmpfs of `size` with at most `inodes` files, or the reason it cannot be made. */
function smallFilesystem(size: string, inodes: number): string | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-log-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},nr_inodes=${inodes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${(error as Error).message.split('\n')[0]}` };
  }
  mounts.push(dir);
  return dir;
}

const canMount = (() => {
  const probe = smallFilesystem('1m', 16);
  return typeof probe === 'string' ? true : probe.skip;
})();

function events(n: number, tag: string, pad = 0): Event[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      tenant: 'default',
      received: Date.now(),
      source: { input: 'test', kind: 'http-ingest' },
      format: 'json',
      original: `{"n":${i}}`,
      fields: { message: `${tag}-${i}`, pad: 'x'.repeat(pad) },
    }),
  );
}

async function drainMessages(log: FileLog): Promise<string[]> {
  const out: string[] = [];
  const ac = new AbortController();
  while (log.depth() > out.length) {
    const batch = await log.pull(10_000, ac.signal);
    if (!batch) break;
    for (const e of batch.events) out.push(String(e.fields.message));
  }
  return out;
}

describe('FileLog on a full filesystem', { skip: canMount === true ? false : canMount }, () => {
  it('refuses a write that does not fit with store-unavailable, and accepts again once room returns', async () => {
    const fs = smallFilesystem('2m', 64) as string;
    const log = await FileLog.open({ dir: join(fs, 'log'), segmentBytes: 64 * 1024 * 1024, maxQueueEvents: 1_000_000 });
    await log.publish(events(10, 'before'));
    const ballast = join(fs, 'ballast');
    writeFileSync(ballast, Buffer.alloc(2 * 1024 * 1024 - 64 * 1024));
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await log.publish(events(50, `full${i}`, 1000));
      } catch (error) {
        assert.ok(isVigilError(error) && error.code === 'store-unavailable' && error.status === 503, String(error));
        refused++;
      }
    }
    assert.ok(refused > 0, 'some writes were refused');
    unlinkSync(ballast);
    await log.publish(events(10, 'after'));
    const messages = await drainMessages(log);
    assert.deepEqual(messages.filter((m) => m.startsWith('before') || m.startsWith('after')), [
      ...events(10, 'before').map((e) => String(e.fields.message)),
      ...events(10, 'after').map((e) => String(e.fields.message)),
    ]);
    // Everything the log accepted is readable: no torn record in the middle.
    assert.equal(messages.length, log.depth());
    await log.close();
  });

  it('stays on its segment when a new segment file cannot be created, and rolls once it can', async () => {
    // Inodes: the root, the log folder, segment 1, and one spare taken by a ballast file.
    const fs = smallFilesystem('16m', 4) as string;
    const ballast = join(fs, 'ballast');
    const warnings: string[] = [];
    const log = await FileLog.open({ dir: join(fs, 'log'), segmentBytes: 1024 * 1024, maxQueueEvents: 1_000_000, onWarning: (m) => warnings.push(m) });
    writeFileSync(ballast, 'x');
    // Past the segment size: the roll fails (ENOSPC creating the file); publishing must go on.
    for (let i = 0; i < 15; i++) await log.publish(events(100, `seg${i}`, 1000));
    assert.deepEqual(readdirSync(join(fs, 'log')), ['000000000001.wal'], 'still one segment');
    assert.match(warnings.join('\n'), /cannot start segment 000000000002\.wal/);
    unlinkSync(ballast);
    for (let i = 15; i < 20; i++) await log.publish(events(100, `seg${i}`, 1000));
    const messages = await drainMessages(log);
    assert.equal(messages.length, 2000);
    assert.equal(messages[1999], 'seg19-99');
    assert.deepEqual(readdirSync(join(fs, 'log')), ['000000000001.wal', '000000000002.wal'], 'rolled once an inode was free');
    await log.close();
  });
});

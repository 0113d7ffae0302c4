import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { backoffDelay, DeliveryQueue, type DeliveryOutcome } from './delivery-queue.js';

describe('delivery queue', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-queue-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('grows the backoff exponentially up to the cap, with at most half of it random', () => {
    const policy = { maxTries: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0)), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 1)), [100, 200, 400, 800, 1000, 1000]);
  });

  it('replays a journal left by a crash, skipping a torn last line', async () => {
    const journal = join(dir, 'journal');
    mkdirSync(journal);
    const add = (id: string) => JSON.stringify({ add: { id, destination: 'd', alertId: `a-${id}`, queuedAt: 1, payload: `p-${id}` } });
    writeFileSync(join(journal, 'd.pending.ndjson'), [add('1'), add('2'), JSON.stringify({ done: '1' }), add('3'), '{"add":{"id":"4","dest'].join('\n'));
    const sent: string[] = [];
    const q = new DeliveryQueue({ destination: 'd', journalDir: journal, deadLetterFile: join(dir, 'dl'), send: async (d) => void sent.push(d.id) });
    assert.equal(q.pending, 2);
    q.start();
    await q.idle();
    await q.close();
    assert.deepEqual(sent, ['2', '3']);
    assert.equal(readFileSync(join(journal, 'd.pending.ndjson'), 'utf8'), '');
  });

  it('sends in order, one at a time', async () => {
    let inFlight = 0;
    const order: string[] = [];
    const q = new DeliveryQueue({
      destination: 'd',
      journalDir: join(dir, 'j'),
      deadLetterFile: join(dir, 'dl'),
      send: async (d) => {
        assert.equal(++inFlight, 1);
        await new Promise((r) => setTimeout(r, 2));
        order.push(d.payload);
        inFlight--;
      },
    });
    q.start();
    for (const p of ['a', 'b', 'c', 'd']) q.enqueue(p, p);
    await q.idle();
    await q.close();
    assert.deepEqual(order, ['a', 'b', 'c', 'd']);
  });

  it('counts a delivery it cannot journal as dropped instead of throwing at the caller', async () => {
    const outcomes: DeliveryOutcome[] = [];
    const q = new DeliveryQueue({ destination: 'd', journalDir: join(dir, 'j'), deadLetterFile: join(dir, 'dl'), send: async () => {}, onOutcome: (o) => outcomes.push(o) });
    // The journal turns into something that cannot be appended to (EISDIR, whoever runs this).
    rmSync(join(dir, 'j', 'd.pending.ndjson'));
    mkdirSync(join(dir, 'j', 'd.pending.ndjson'));
    assert.equal(q.enqueue('a', 'x'), undefined);
    assert.equal(q.stats.dropped, 1);
    assert.ok(outcomes[0]?.kind === 'dropped' && outcomes[0].reason.startsWith('journal-error'));
    await q.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGunzip, createInflate, deflateSync, gzipSync } from 'node:zlib';
import { inflateCapped, MAX_INFLATE_RATIO, RATIO_CHECKED_FROM } from './request-body.js';

describe('inflateCapped', () => {
  it('inflates gzip (several members, as gunzip reads them) and deflate bodies whole', async () => {
    const a = Buffer.from('{"n":1}\n'.repeat(50_000));
    const b = Buffer.from('{"n":2}\n');
    const twoMembers = Buffer.concat([gzipSync(a), gzipSync(b)]);
    assert.deepEqual(await inflateCapped(twoMembers, createGunzip(), 10 * 1024 * 1024), Buffer.concat([a, b]));
    assert.deepEqual(await inflateCapped(deflateSync(a), createInflate(), a.length), a);
  });

  it('refuses the moment the output passes the cap, one byte over is enough', async () => {
    const body = Buffer.alloc(1000, 'x');
    assert.equal((await inflateCapped(gzipSync(body), createGunzip(), 1000)).length, 1000);
    await assert.rejects(inflateCapped(gzipSync(body), createGunzip(), 999), (error: Error) => error.constructor.name === 'InflatedTooLarge');
  });

  it('stops a 1 GiB bomb at the cap without inflating the rest', async () => {
    const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    const inflater = createGunzip();
    let inflated = 0;
    inflater.on('data', (piece: Buffer) => (inflated += piece.length));
    await assert.rejects(inflateCapped(bomb, inflater, 8 * 1024 * 1024));
    assert.ok(inflated < 16 * 1024 * 1024, `inflated ${inflated} bytes before stopping`);
  });

  it('passes zlib errors on for a body that is not what it claims', async () => {
    await assert.rejects(inflateCapped(Buffer.from('not gzip at all'), createGunzip(), 1024), /incorrect header check/);
  });

  it(`refuses a body inflating more than ${MAX_INFLATE_RATIO} times once past ${RATIO_CHECKED_FROM / 1024 / 1024} MiB, long before the cap`, async () => {
    const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    const inflater = createGunzip({ chunkSize: 1024 * 1024 });
    let inflated = 0;
    inflater.on('data', (piece: Buffer) => (inflated += piece.length));
    await assert.rejects(inflateCapped(bomb, inflater, 128 * 1024 * 1024), (error: Error & { reason?: string }) => error.reason === 'ratio');
    assert.ok(inflated <= RATIO_CHECKED_FROM + 2 * 1024 * 1024, `inflated ${inflated} bytes before stopping`);
  });

  it('inflates ordinary logs past the ratio check: 40 MiB of varied JSON lines', async () => {
    const lines: string[] = [];
    for (let i = 0; lines.length * 120 < 40 * 1024 * 1024; i++) {
      lines.push(JSON.stringify({ time: 1_700_000_000_000 + i * 137, host: `web-${i % 17}`, user: `u${(i * 7919) % 1000}`, msg: `request ${i} took ${(i * 31) % 997} ms` }));
    }
    const body = Buffer.from(lines.join('\n'));
    const inflated = await inflateCapped(gzipSync(body), createGunzip({ chunkSize: 1024 * 1024 }), 128 * 1024 * 1024);
    assert.equal(inflated.length, body.length);
  });
});

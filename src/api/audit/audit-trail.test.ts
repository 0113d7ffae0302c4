import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '../../core/metrics.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { AccountMetrics } from '../auth/account-metrics.js';
import { counterValue } from '../test-server.test-support.js';
import { AuditTrail, boundedDetails } from './audit-trail.js';

const base = { tenant: 'a', actor: 'alice', actorKind: 'user', role: 'analyst', target: null, outcome: 'success', remote: '192.0.2.1' } as const;

test('details are kept bounded: long text cut, deep nesting stopped, only JSON values', () => {
  const details = boundedDetails({ query: 'q'.repeat(5000), deep: { a: { b: { c: { d: { e: 1 } } } } }, n: Number.NaN, f: () => 1, list: Array.from({ length: 80 }, (_, i) => i) });
  assert.equal((details['query'] as string).length, 2000 + '…[cut]'.length);
  assert.deepEqual(details['deep'], { a: { b: { c: '[nested too deep]' } } });
  assert.equal(details['n'], null);
  assert.equal(details['f'], undefined);
  assert.equal((details['list'] as number[]).length, 50);
});

test('entries are written in batches, in order, to a real store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-audit-'));
  const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
  const metrics = new Metrics();
  const trail = new AuditTrail(store, { metrics: new AccountMetrics(metrics.registry), flushMs: 10_000, batchSize: 4 });
  try {
    for (let i = 0; i < 6; i++) trail.record({ ...base, action: 'search', details: { i }, time: 1000 + i });
    // Four were written at the batch size; two wait for the timer or a flush.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await store.listAudit({ tenant: 'a', limit: 10 })).length, 4);
    await trail.close();
    const all = await store.listAudit({ tenant: 'a', limit: 10 });
    assert.deepEqual(all.map((e) => e.details['i']), [5, 4, 3, 2, 1, 0]);
    assert.equal(await counterValue(metrics, 'vigil_audit_entries_written_total', {}), 6);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('past maxBuffered, entries are refused and counted, never held without bound', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-audit-'));
  const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
  const metrics = new Metrics();
  const trail = new AuditTrail(store, { metrics: new AccountMetrics(metrics.registry), flushMs: 10_000, batchSize: 1000, maxBuffered: 3 });
  try {
    for (let i = 0; i < 5; i++) trail.record({ ...base, action: 'search', details: { i } });
    assert.equal(await counterValue(metrics, 'vigil_audit_entries_lost_total', { reason: 'overflow' }), 2);
    await trail.close();
    assert.equal((await store.listAudit({ tenant: 'a', limit: 10 })).length, 3);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEvent } from '../../core/event.js';
import { isVigilError } from '../../core/errors.js';
import { storeSuite } from '../store.suite.js';
import { DuckDbStore } from './duckdb-store.js';
import { MIGRATIONS, SCHEMA_VERSION, SCHEMA_VERSION_DDL } from './schema.js';
import { autoMemoryLimit } from './duckdb-open.js';

const run = promisify(execFile);

async function tempFile(): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-duckdb-'));
  return { dir, path: join(dir, 'data', 'events.duckdb') };
}

storeSuite('DuckDbStore', async () => {
  const { dir, path } = await tempFile();
  const options = { path, memoryLimit: '256MB', threads: 1 };
  return {
    store: await DuckDbStore.open(options),
    reopen: () => DuckDbStore.open(options),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

function sample(host: string) {
  return createEvent({
    tenant: 'a',
    received: Date.UTC(2024, 0, 1),
    source: { input: 'syslog', kind: 'syslog-tcp' },
    format: 'rfc3164',
    original: `<13>Jan  1 00:00:00 ${host} app: hi`,
    fields: { 'host.name': host, message: 'hi' },
  });
}

describe('DuckDB memory limit', () => {
  it('takes a quarter of the machine, at least 1GB and at most 8GB', () => {
    const GiB = 1024 ** 3;
    assert.equal(autoMemoryLimit(2 * GiB), '1024MiB');
    assert.equal(autoMemoryLimit(16 * GiB), '4096MiB');
    assert.equal(autoMemoryLimit(256 * GiB), '8192MiB');
  });
});

describe('DuckDbStore: opening the file', () => {
  let dir: string;
  let path: string;

  before(async () => ({ dir, path } = await tempFile()));
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second process with data-locked, naming the data folder', async () => {
    const store = await DuckDbStore.open({ path });
    try {
      const moduleUrl = pathToFileURL(join(import.meta.dirname, 'duckdb-store.ts')).href;
      const script = `
        const { DuckDbStore } = await import(${JSON.stringify(moduleUrl)});
        const out = [];
        for (const readOnly of [false, true]) {
          try { await (await DuckDbStore.open({ path: ${JSON.stringify(path)}, readOnly })).close(); out.push({ opened: true }); }
          catch (e) { out.push({ code: e.code, message: e.message, where: e.where }); }
        }
        console.log(JSON.stringify(out));`;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
      const results = JSON.parse(stdout.trim()) as Array<{ code?: string; message?: string; where?: string }>;
      assert.equal(results.length, 2);
      for (const r of results) {
        assert.equal(r.code, 'data-locked');
        assert.match(r.message ?? '', new RegExp(`data folder ${join(dir, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another Vigil process \\(PID \\d+`));
        assert.match(r.message ?? '', /stop it, or use the server's API \/ CLI/);
        assert.equal(r.where, path);
      }
    } finally {
      await store.close();
    }
  });

  it('refuses to open the same file twice in one process', async () => {
    const store = await DuckDbStore.open({ path });
    try {
      await assert.rejects(DuckDbStore.open({ path }), (e: unknown) => isVigilError(e) && e.code === 'data-locked');
      await assert.rejects(DuckDbStore.open({ path, readOnly: true }), (e: unknown) => isVigilError(e) && e.code === 'data-locked');
    } finally {
      await store.close();
    }
    // Once closed, the file can be opened again.
    await (await DuckDbStore.open({ path })).close();
  });

  it('lets only one of two racing opens in one process through', async () => {
    const results = await Promise.allSettled([DuckDbStore.open({ path }), DuckDbStore.open({ path })]);
    const opened = results.filter((r) => r.status === 'fulfilled');
    assert.equal(opened.length, 1);
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(refused && isVigilError(refused.reason) && refused.reason.code === 'data-locked');
    for (const r of opened) await r.value.close();
  });

  it('read-only sees committed data and refuses writes', async () => {
    const writer = await DuckDbStore.open({ path });
    const e = sample('ro-host');
    await writer.appendEvents([e], { consumer: 'bus', position: '9' });
    await writer.close();

    const reader = await DuckDbStore.open({ path, readOnly: true });
    try {
      assert.equal(reader.readOnly, true);
      const result = await reader.search({ tenant: 'a', query: { kind: 'field', field: 'host.name', value: 'RO-HOST', wildcard: false, quoted: false }, limit: 5 });
      assert.deepEqual(result.hits, [e]);
      assert.deepEqual(await reader.readCheckpoint('bus'), { consumer: 'bus', position: '9' });
      await assert.rejects(
        reader.appendEvents([sample('x')]),
        (err: unknown) => isVigilError(err) && err.code === 'store-unavailable' && /read-only/.test(err.message),
      );
    } finally {
      await reader.close();
    }
  });

  it('migrates idempotently: reopening records each migration once', async () => {
    await (await DuckDbStore.open({ path })).close();
    await (await DuckDbStore.open({ path })).close();
    const instance = await DuckDBInstance.create(path);
    try {
      const conn = await instance.connect();
      const rows = (await conn.runAndReadAll('SELECT version FROM schema_version')).getRowsJS();
      assert.deepEqual(rows, MIGRATIONS.map((m) => [m.version]));
      assert.equal(MIGRATIONS.at(-1)?.version, SCHEMA_VERSION);
      conn.closeSync();
    } finally {
      instance.closeSync();
    }
  });

  it('migrates a version-1 file: its open alerts become new alerts of one detection, nothing lost', async () => {
    const old = join(dirname(path), 'v1.duckdb');
    const instance = await DuckDBInstance.create(old);
    const conn = await instance.connect();
    await conn.run(SCHEMA_VERSION_DDL);
    for (const statement of MIGRATIONS[0]!.statements) await conn.run(statement);
    await conn.run('INSERT INTO schema_version VALUES (1, 0)');
    await conn.run(`INSERT INTO alerts VALUES ('al-old', 'default', 1700000000000, 'r-1', 'Old rule', 'Vigil', 'high', ['e1'], 'open', '{}')`);
    conn.closeSync();
    instance.closeSync();
    const store = await DuckDbStore.open({ path: old });
    try {
      const a = await store.getAlert('default', 'al-old');
      assert.equal(a?.state, 'new');
      assert.equal(a?.count, 1);
      assert.equal(a?.firstSeen, 1700000000000);
      assert.deepEqual(a?.eventIds, ['e1']);
      assert.deepEqual(a?.history, []);
    } finally {
      await store.close();
    }
  });

  it('stores the original and the fields compressed with ZSTD in a new file', async () => {
    const { dir: otherDir, path: other } = await tempFile();
    try {
      const store = await DuckDbStore.open({ path: other });
      // Mixed logs: short syslog lines and long JSON documents in one row group, which left
      // these columns uncompressed before schema v5.
      const events = Array.from({ length: 3000 }, (_, i) =>
        createEvent({
          tenant: 'a',
          received: Date.UTC(2024, 0, 1) + i,
          source: { input: 'f', kind: 'file' },
          format: i % 3 === 0 ? 'json' : 'rfc3164',
          original: i % 3 === 0 ? JSON.stringify({ EventID: 4624, data: 'x'.repeat(5000), n: i }) : `<13>Jan  1 00:00:00 host${i % 50} sshd[${i}]: Failed password for root from 10.0.${i % 256}.1`,
          fields: { message: `event ${i}`, 'host.name': `host${i % 50}`, blob: 'y'.repeat(i % 3 === 0 ? 4500 : 10) },
        }),
      );
      await store.appendEvents(events);
      await store.close();
      const instance = await DuckDBInstance.create(other, { access_mode: 'READ_ONLY' });
      const conn = await instance.connect();
      const reader = await conn.runAndReadAll(
        `SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info('events') WHERE column_name IN ('original', 'fields') AND segment_type = 'VARCHAR' GROUP BY ALL ORDER BY 1`,
      );
      conn.closeSync();
      instance.closeSync();
      for (const [column, methods] of reader.getRowsJS()) assert.ok(String(methods).includes('ZSTD'), `${String(column)}: ${String(methods)}`);
      assert.equal(reader.getRowsJS().length, 2);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('migrates a version-4 file in the old storage format: same events, same stored order, chain intact', async () => {
    const { dir: otherDir, path: old } = await tempFile();
    try {
      await mkdir(dirname(old), { recursive: true });
      // A file in DuckDB's old storage format, as Vigil before schema v5 created them.
      const instance = await DuckDBInstance.create(old);
      instance.closeSync();
      const batch = Array.from({ length: 50 }, (_, i) => sample(`h${i}`));
      const store = await DuckDbStore.open({ path: old });
      await store.appendEvents(batch.slice(0, 20));
      await store.appendEvents(batch.slice(20));
      await store.close();
      // Back to the v4 layout: the same columns without the compression, schema marker at 4.
      const raw = await DuckDBInstance.create(old);
      const conn = await raw.connect();
      await conn.run('CREATE TABLE events_v4 AS SELECT * FROM events ORDER BY rowid');
      await conn.run('DROP TABLE events');
      await conn.run('ALTER TABLE events_v4 RENAME TO events');
      await conn.run('DELETE FROM schema_version WHERE version = 5');
      conn.closeSync();
      raw.closeSync();

      const migrated = await DuckDbStore.open({ path: old });
      try {
        assert.deepEqual((await migrated.scanEvents({ tenant: 'a', limit: 100 })).events.map((e) => e.id), batch.map((e) => e.id));
        const report = await migrated.verifyChain();
        assert.equal(report.ok, true, JSON.stringify(report.problems));
        assert.equal(report.events, 50);
      } finally {
        await migrated.close();
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const { dir: otherDir, path: other } = await tempFile();
    try {
      await (await DuckDbStore.open({ path: other })).close();
      const instance = await DuckDBInstance.create(other);
      const conn = await instance.connect();
      await conn.run('INSERT INTO schema_version VALUES (999, 0)');
      conn.closeSync();
      instance.closeSync();
      await assert.rejects(
        DuckDbStore.open({ path: other }),
        (e: unknown) => isVigilError(e) && e.code === 'store-unavailable' && /newer Vigil/.test(e.message),
      );
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses an events table whose columns were changed outside Vigil', async () => {
    const { dir: otherDir, path: other } = await tempFile();
    try {
      await (await DuckDbStore.open({ path: other })).close();
      const instance = await DuckDBInstance.create(other);
      const conn = await instance.connect();
      await conn.run('ALTER TABLE events ADD COLUMN extra VARCHAR');
      conn.closeSync();
      instance.closeSync();
      await assert.rejects(
        DuckDbStore.open({ path: other }),
        (e: unknown) => isVigilError(e) && e.code === 'store-unavailable' && /columns/.test(e.message),
      );
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('tells how to create the store when read-only finds none', async () => {
    const { dir: otherDir, path: missing } = await tempFile();
    try {
      await assert.rejects(DuckDbStore.open({ path: missing, readOnly: true }), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable');
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

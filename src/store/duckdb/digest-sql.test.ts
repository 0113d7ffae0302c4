import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEvent } from '../../core/event.js';
import { DuckDbStore } from './duckdb-store.js';
import { DIGEST_SQL } from './digest-sql.js';

it('DuckDB recomputes from the stored row the digest computed in JavaScript before writing, on awkward text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-digest-'));
  const path = join(dir, 'events.duckdb');
  try {
    const texts = ['', 'plain', 'émigré', '😀 astral', 'lone \ud800 surrogate', 'nul \u0000 inside', 'e\u0301 combining', '"quoted":1;~[', '\n\r\t'];
    const store = await DuckDbStore.open({ path });
    await store.appendEvents(
      texts.map((text, i) =>
        createEvent({
          tenant: text || 't',
          received: i,
          time: -i,
          source: i % 2 ? { input: text, kind: 'file', address: text } : { input: text, kind: 'file' },
          format: 'raw',
          original: text,
          // A message of another type stays in the JSON; arrays and odd values fill the promoted columns.
          fields: { message: i % 3 === 0 ? i : text, 'host.name': [text, text.toUpperCase()], 'user.name': [], 'event.outcome': true, odd: text },
          flags: i % 2 ? ['truncated', 'unparsed'] : [],
        }),
      ),
    );
    await store.close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(`SELECT original, digest, ${DIGEST_SQL} FROM events`)).getRowsJS();
    conn.closeSync();
    instance.closeSync();
    assert.equal(rows.length, texts.length);
    for (const [original, stored, computed] of rows) assert.equal(computed, stored, `digest of ${JSON.stringify(original)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * `vigil ingest` imports files through the pipeline, with and without a running server, and
 * the events are then found by search. Uses real OpenSSH logs from the corpus (loghub) when
 * present, and the repository's excerpt of them otherwise.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO, runCli, startVigil } from '../support/vigil-process.js';
import { corpusPath } from '../support/corpus.js';

const CORPUS_SSH = corpusPath('loghub', 'OpenSSH_2k.log');
const EXCERPT = join(REPO, 'test/fixtures/syslog/loghub-excerpt.log');
const temp = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function countLines(path: string): number {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

interface Summary {
  files: number;
  read: number;
  stored: number;
  unparsed: number;
  truncated: number;
  via: string;
}

describe('vigil ingest', { timeout: 120_000 }, () => {
  it('imports a real sshd log into a data folder with no server and finds its events', async (t) => {
    const file = existsSync(CORPUS_SSH) ? CORPUS_SSH : EXCERPT;
    if (file === EXCERPT) t.diagnostic(`corpus absent (${CORPUS_SSH}): using the excerpt in test/fixtures`);
    const data = join(temp, 'offline');
    const run = await runCli(['ingest', file, '--data', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as Summary;
    const lines = countLines(file);
    assert.equal(summary.via, 'data folder');
    assert.equal(summary.read, lines);
    assert.equal(summary.stored, lines, 'every line is stored');
    assert.equal(summary.unparsed, 0, 'real sshd lines all parse as syslog');

    const found = await runCli(['search', 'process.name:sshd AND "authentication failure"', '--data', data, '--json', '--limit', '5']);
    assert.equal(found.code, 0, found.stderr);
    const result = JSON.parse(found.stdout) as { total: number; hits: { source: { kind: string; address: string } }[] };
    assert.ok(result.total > 0, 'failed authentications are found');
    assert.equal(result.hits[0]!.source.kind, 'file');
    assert.equal(result.hits[0]!.source.address, file);
  });

  it('imports JSON lines and a malformed line through a running server, storing the bad line raw', async () => {
    const data = join(temp, 'online');
    const file = join(temp, 'events.ndjson');
    writeFileSync(file, [
      JSON.stringify({ '@timestamp': '2026-11-28T09:00:00Z', message: 'vpn login', user: { name: 'carol' } }),
      '{"message": not json',
      JSON.stringify({ message: 'vpn logout', user: { name: 'carol' } }),
      '',
    ].join('\n'));
    const server = await startVigil(data);
    try {
      const run = await runCli(['ingest', file, '--data', data, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as Summary;
      assert.equal(summary.via, 'server');
      assert.equal(summary.read, 3);
      assert.equal(summary.unparsed, 1);

      // `ingest` returns once the events are durable; storing them is batched, so wait briefly.
      let total = 0;
      for (let i = 0; i < 100 && total < 2; i++) {
        const res = await fetch(`${server.info.http}/api/v1/search?q=user.name:carol`, { headers: { authorization: `Bearer ${server.token}` } });
        total = ((await res.json()) as { total: number }).total;
        if (total < 2) await sleep(100);
      }
      assert.equal(total, 2);
      const raw = await runCli(['search', '"not json"', '--data', data, '--json']);
      const hits = (JSON.parse(raw.stdout) as { hits: { flags: string[] }[] }).hits;
      assert.deepEqual(hits[0]?.flags, ['unparsed']);
    } finally {
      await server.stop();
    }
  });

  it('vigil parsers check reports the format and parse rate per file, as JSON on request', async () => {
    const web = join(temp, 'access.log');
    writeFileSync(web, '203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\nnot a web line\n');
    const run = await runCli(['parsers', 'check', EXCERPT, web, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; format: string; records: number; parsed: number; raw: number; failures: string[] });
    assert.deepEqual(rows.map((r) => [r.format, r.records, r.parsed, r.raw]), [['syslog', 20, 20, 0], ['web', 2, 1, 1]]);
    assert.deepEqual(rows[1]!.failures, ['not a web line']);
  });

  it('fails with a clear message for a path that does not exist', async () => {
    const run = await runCli(['ingest', join(temp, 'nope.log'), '--data', join(temp, 'x')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot read .*nope\.log: no such file or folder/);
  });
});

/**
 * Tamper evidence and retention from the command line, as an operator uses them: `vigil verify`
 * passes on a store written by `vigil ingest`, names the event after one row is edited directly
 * in the database, and `vigil retention run` / `vigil retention` work on the data folder and
 * through a running server.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO, runCli, startVigil } from '../support/vigil-process.js';

const EXCERPT = join(REPO, 'test/fixtures/syslog/loghub-excerpt.log');
const temp = mkdtempSync(join(tmpdir(), 'vigil-verify-'));
after(() => rmSync(temp, { recursive: true, force: true }));

interface Report {
  ok: boolean;
  events: number;
  signaturesChecked: boolean;
  problems: { kind: string; eventId?: string; message: string }[];
}

describe('vigil verify and vigil retention', { timeout: 120_000 }, () => {
  const data = join(temp, 'data');
  const config = join(temp, 'vigil.yaml');
  writeFileSync(config, 'retention:\n  defaultDays: 30\n  rules:\n    - { sourceKind: file, days: 365 }\n');

  it('passes on an untouched store, then names the event edited directly in the database (exit code 2)', async () => {
    const ingest = await runCli(['ingest', EXCERPT, '--data', data, '--config', config, '--json']);
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.equal(statSync(join(data, 'chain-key')).mode & 0o777, 0o600, 'the chain key is private');

    const clean = await runCli(['verify', '--data', data, '--config', config]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /^OK: the event chain is intact/);
    assert.match(clean.stdout, /Checkpoints: \d+, last signed at batch \d+/);

    const instance = await DuckDBInstance.create(join(data, 'events.duckdb'));
    const conn = await instance.connect();
    const [row] = (await conn.runAndReadAll('SELECT id FROM events ORDER BY batch_seq, batch_pos LIMIT 1 OFFSET 3')).getRowsJS();
    const id = String(row?.[0]);
    await conn.run(`UPDATE events SET original = original || ' (edited)' WHERE id = '${id}'`);
    conn.closeSync();
    instance.closeSync();

    const tampered = await runCli(['verify', '--data', data, '--config', config]);
    assert.equal(tampered.code, 2, tampered.stderr);
    assert.match(tampered.stdout, /^TAMPERED: 1 problem/);
    assert.match(tampered.stdout, new RegExp(`event-edited +event ${id} \\(batch 1 position 3\\) was edited`));

    const json = await runCli(['verify', '--json', '--data', data, '--config', config]);
    assert.equal(json.code, 2);
    const report = JSON.parse(json.stdout) as Report;
    assert.deepEqual(report.problems.map((p) => [p.kind, p.eventId]), [['event-edited', id]]);
    assert.equal(report.signaturesChecked, true);
  });

  it('enforces retention from the data folder and lists the recorded runs', async () => {
    const run = await runCli(['retention', 'run', '--json', '--data', data, '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    const runs = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: string; deleted: number; signed: boolean });
    // The excerpt was just received: nothing has expired under either rule.
    assert.deepEqual(runs.map((r) => [r.rule, r.deleted, r.signed]), [['default', 0, true], ['sourceKind=file', 0, true]]);
    const list = await runCli(['retention', '--data', data, '--config', config]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /sourceKind=file +deleted +0/);
  });

  it('answers through a running server, which holds the data folder', async () => {
    const server = await startVigil(data, ['--config', config]);
    try {
      const verify = await runCli(['verify', '--json', '--data', data, '--config', config]);
      assert.equal(verify.code, 2, verify.stderr);
      assert.equal((JSON.parse(verify.stdout) as Report).problems[0]?.kind, 'event-edited');
      const run = await runCli(['retention', 'run', '--data', data, '--config', config]);
      assert.equal(run.code, 0, run.stderr);
      const list = await runCli(['retention', 'list', '--json', '--data', data, '--config', config]);
      assert.equal(list.stdout.trim().split('\n').length, 4, list.stdout + list.stderr);
    } finally {
      await server.stop();
    }
  });
});

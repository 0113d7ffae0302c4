/**
 * A followed file (`files:` in vigil.yaml) written continuously and rotated every 100,000
 * lines, alternately by rename and by copytruncate, while a real `vigil serve` is killed with
 * SIGKILL in between: some kills fall in the middle of a generation, others just before a
 * rotation, so that the rotation happens while the server is down.
 *
 * The writer is the only process appending, and it does its own copytruncate (copy, then
 * truncate, with no write in between), so copytruncate's unavoidable race (lines written
 * between the copy and the truncation are in neither file) is absent: every line is in some
 * file, and the tail must store every one. At a rename the writer behaves like a daemon that
 * has not reopened its log yet: it writes one more chunk into the renamed file through the
 * handle it holds. Asserted:
 * - 0 lines lost, and no truncation the tail counted as a loss (vigil_file_lost_bytes_total,
 *   read from each server's log before it is killed);
 * - duplicates at most what one poll may have read past the last saved offsets, per kill and
 *   per followed file (the current file and one rotated file being finished): 8 MiB of lines.
 * Figures go to bench/results/reliability-file-rotation.json.
 */
import { strict as assert } from 'node:assert';
import { appendFile, copyFile, mkdir, mkdtemp, open, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { gitCommit, machine, writeResults } from '../../bench/results-file.js';
import { REPO, startVigil, type VigilProcess } from '../support/vigil-process.js';

const TOTAL = Number(process.env.VIGIL_ROTATION_LINES ?? 600_000);
const ROTATE_EVERY = Number(process.env.VIGIL_ROTATION_EVERY ?? 100_000);
const CHUNK = 500;
/** Lines per second the writer aims at: below what the server stores on this machine. */
const RATE = 15_000;
/** The most one poll reads from one file (MAX_READ_PER_POLL in src/sources/file/file-tail-source.ts). */
const MAX_READ_PER_POLL = 8 * 1024 * 1024;

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lineText = (n: number) => `<13>Dec  7 12:00:00 rotation-test app[1]: ledger=f${n}; a line of a followed file\n`;

async function metric(server: VigilProcess, name: string, labels = ''): Promise<number> {
  const res = await fetch(`${server.info.http}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels} `) || (labels === '' && line.startsWith(`${name}{`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

it('a followed file rotated by rename and copytruncate every 100k lines, with SIGKILLs: 0 lines lost, duplicates bounded', { timeout: 15 * 60_000 }, async (t) => {
  const started = Date.now();
  dir = await mkdtemp(join(tmpdir(), 'vigil-rotation-'));
  const logs = join(dir, 'logs');
  await mkdir(logs);
  const file = join(logs, 'app.log');
  await writeFile(file, '');
  const config = join(dir, 'vigil.yaml');
  await writeFile(config, `files:\n  - path: ${JSON.stringify(file)}\n    format: syslog\nfilesPollMs: 200\n`);
  const data = join(dir, 'data');
  const start = () => startVigil(data, ['--config', config]);
  let server = await start();

  const rotations: { at: number; how: 'rename' | 'copytruncate'; whileDown: boolean }[] = [];
  const readyMs: number[] = [];
  let kills = 0;
  /** What the tail reported on each truncation it followed (its warning), over all server processes. */
  const truncations: { copy: boolean; lostBytes: number }[] = [];
  const collectTruncations = () => {
    for (const text of server.output().split('\n')) {
      if (!text.includes('file was truncated') || !text.endsWith('}')) continue; // a line cut by the kill
      const entry = JSON.parse(text) as { copy?: string; lostBytes?: number };
      truncations.push({ copy: entry.copy !== undefined, lostBytes: entry.lostBytes ?? 0 });
    }
  };
  const kill = async () => {
    server.child.kill('SIGKILL');
    await server.stop();
    collectTruncations();
    kills++;
  };
  const restart = async () => {
    const t0 = performance.now();
    server = await start();
    readyMs.push(performance.now() - t0);
  };

  let written = 0;
  let generation = 0;
  const begun = performance.now();
  while (written < TOTAL) {
    // A kill in the middle of each generation, with the server down for a few thousand lines.
    if (written % ROTATE_EVERY === ROTATE_EVERY / 2) {
      await kill();
      for (let i = 0; i < 4; i++) {
        let text = '';
        for (let k = 0; k < CHUNK; k++) text += lineText(written++);
        await appendFile(file, text);
      }
      await restart();
    }
    let text = '';
    for (let k = 0; k < CHUNK; k++) text += lineText(written++);
    await appendFile(file, text);
    if (written % ROTATE_EVERY === 0 && written < TOTAL) {
      generation++;
      const how = generation % 2 === 1 ? 'copytruncate' : 'rename';
      // Every other rotation of each kind happens while the server is down.
      const whileDown = Math.ceil(generation / 2) % 2 === 0;
      if (whileDown) await kill();
      const rotated = join(logs, `app.log.${generation}`);
      if (how === 'rename') {
        const held = await open(file, 'a');
        await rename(file, rotated);
        await writeFile(file, '');
        let late = '';
        for (let k = 0; k < CHUNK; k++) late += lineText(written++);
        await held.appendFile(late);
        await held.close();
      } else {
        await copyFile(file, rotated);
        await truncate(file, 0);
      }
      rotations.push({ at: written, how, whileDown });
      if (whileDown) {
        // Lines go on into the new generation before the server is back.
        for (let i = 0; i < 4; i++) {
          let more = '';
          for (let k = 0; k < CHUNK; k++) more += lineText(written++);
          await appendFile(file, more);
        }
        await restart();
      }
    }
    const ahead = written / RATE - (performance.now() - begun) / 1000;
    if (ahead > 0) await sleep(ahead * 1000);
  }
  const writeSec = (Date.now() - started) / 1000;

  // Wait until the tail has read everything and the store holds it: received count stable and
  // backlog 0 for 3 s.
  const drainStarted = Date.now();
  let stable = 0;
  let last = -1;
  while (stable < 6) {
    const received = await metric(server, 'vigil_events_received_total', '{input="file"}');
    const depth = await metric(server, 'vigil_queue_depth');
    stable = received === last && depth === 0 ? stable + 1 : 0;
    last = received;
    assert.ok(Date.now() - drainStarted < 5 * 60_000, 'the tail did not settle within 5 minutes');
    await sleep(500);
  }
  const drainSec = (Date.now() - drainStarted) / 1000;
  assert.equal(await server.stop('SIGTERM'), 0, server.output().slice(-4000));
  collectTruncations();

  const db = await DuckDBInstance.create(join(data, 'events.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(`SELECT regexp_extract(original, 'ledger=f([0-9]+);', 1) AS id, count(*) AS n FROM events GROUP BY 1`);
  const stored = new Map<number, number>();
  let strangers = 0;
  for (const row of reader.getRowObjects()) {
    if (row.id === '' || row.id === null) strangers += Number(row.n);
    else stored.set(Number(row.id), Number(row.n));
  }
  conn.closeSync();
  db.closeSync();

  const lost: number[] = [];
  for (let n = 0; n < written; n++) if (!stored.has(n)) lost.push(n);
  let duplicates = 0;
  for (const n of stored.values()) duplicates += n - 1;
  const lineBytes = Buffer.byteLength(lineText(0));
  // Per kill: what one poll read past the saved offsets, from the current file and one rotated file.
  const duplicateBound = kills * 2 * Math.ceil(MAX_READ_PER_POLL / lineBytes);
  const sortedReady = [...readyMs].sort((a, b) => a - b);
  const figures = {
    lines: written,
    rotations,
    kills,
    writeSeconds: writeSec,
    settleSeconds: drainSec,
    lost: lost.length,
    firstLost: lost.slice(0, 10),
    duplicates,
    duplicateBound,
    strangers,
    truncationsFollowed: truncations.length,
    truncationsWithoutCopy: truncations.filter((x) => !x.copy).length,
    lostBytesCounted: truncations.reduce((sum, x) => sum + x.lostBytes, 0),
    readyMs: { min: sortedReady[0], median: sortedReady[Math.floor((sortedReady.length - 1) / 2)], max: sortedReady[sortedReady.length - 1] },
  };
  t.diagnostic(JSON.stringify(figures));
  writeResults({
    name: 'reliability-file-rotation',
    title: `file tail: ${written} lines, rotation by rename and copytruncate every ${ROTATE_EVERY}, ${kills} SIGKILLs`,
    durationSec: writeSec,
    figures: [
      { label: 'lines lost', value: lost.length, unit: 'lines' },
      { label: 'duplicates', value: duplicates, unit: 'lines', note: `bound asserted: ${duplicateBound} (per kill, 8 MiB of lines from each of 2 files)` },
      { label: 'rotations (rename / copytruncate; while down)', value: rotations.length, unit: 'rotations', note: rotations.map((r) => `${r.how}${r.whileDown ? ' while down' : ''}`).join(', ') },
      { label: 'SIGKILLs', value: kills, unit: 'kills' },
    ],
    details: figures,
    date: new Date(started).toISOString(),
    wallSec: (Date.now() - started) / 1000,
    machine: machine(),
    gitCommit: gitCommit(REPO),
  });

  assert.equal(strangers, 0, 'every stored event is a line of the followed file');
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} lines were lost`);
  assert.equal(figures.lostBytesCounted, 0, 'the tail counted bytes lost to a truncation, though every line was in the copy');
  assert.ok(duplicates <= duplicateBound, `${duplicates} duplicates, more than the bound ${duplicateBound}`);
});

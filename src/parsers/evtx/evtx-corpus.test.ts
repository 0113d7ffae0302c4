/**
 * The decoder against real Windows logs from the shared corpus: every record of every file
 * decodes without damage, and for the Sigma regression pairs the decoded tree equals the
 * `.json` export beside each `.evtx`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { decodeEvtx, type JsonTree, type JsonValue } from './evtx-decoder.js';

const SETS = ['evtx-attack-samples', 'evtx-to-mitre-attack', 'sigma/regression_data'];

function evtxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...evtxFiles(p));
    else if (name.endsWith('.evtx')) out.push(p);
  }
  return out;
}

function member(v: JsonValue | undefined, key: string): JsonValue | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v[key] : undefined;
}

function eventRecordId(tree: JsonTree): JsonValue | undefined {
  return member(member(member(tree, 'Event'), 'System'), 'EventRecordID');
}

test('every record of every corpus .evtx file decodes without damage', (t) => {
  const present = SETS.filter((s) => corpusHas(s));
  if (present.length === 0) return t.skip('corpus absent: evtx-attack-samples, evtx-to-mitre-attack, sigma/regression_data');
  let files = 0;
  let records = 0;
  for (const set of present) {
    for (const file of evtxFiles(corpusPath(set))) {
      const { records: decoded, damage } = decodeEvtx(readFileSync(file));
      assert.deepEqual(damage, [], file);
      assert.ok(decoded.length > 0, `${file} has records`);
      for (const r of decoded) {
        assert.ok(Number.isFinite(r.timestamp) && r.timestamp > Date.UTC(2000, 0, 1), `${file} record ${r.recordId} has a sane time`);
        assert.ok(member(r.event, 'Event') !== undefined, `${file} record ${r.recordId} has an Event`);
      }
      files++;
      records += decoded.length;
    }
  }
  t.diagnostic(`${files} files, ${records} records`);
  // As counted by the chunk headers (first..last record number) of the corpus at the time of writing.
  if (present.length === SETS.length) assert.ok(records >= 284, `expected at least 284 records, got ${records}`);
});

test('each Sigma regression .evtx decodes to exactly its evtx_dump .json export', (t) => {
  if (!corpusHas('sigma/regression_data')) return t.skip('corpus absent: sigma/regression_data');
  let pairs = 0;
  for (const file of evtxFiles(corpusPath('sigma/regression_data'))) {
    const jsonFile = file.replace(/\.evtx$/, '.json');
    let text: string;
    try {
      text = readFileSync(jsonFile, 'utf8');
    } catch {
      continue;
    }
    // evtx_dump writes one pretty-printed object per record, back to back.
    const expected = text.split(/\n(?=\{)/).map((s) => JSON.parse(s) as JsonTree);
    const decoded = decodeEvtx(readFileSync(file)).records;
    for (const want of expected) {
      // Exports renumber the record header; the event's own EventRecordID is what matches.
      const id = eventRecordId(want);
      const got = decoded.find((r) => eventRecordId(r.event) === id);
      assert.ok(got !== undefined, `${file}: record with EventRecordID ${String(id)} not decoded`);
      assert.deepEqual(got.event, want, file);
    }
    pairs++;
  }
  t.diagnostic(`${pairs} pairs match exactly`);
  assert.equal(pairs, 60);
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { addZeekEcs, looksLikeZeek } from './zeek-ecs.js';
import { ZeekTsvReader } from './zeek-tsv.js';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tdns',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers\tAA',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[string]\tbool',
];

describe('Zeek logs', () => {
  it('reads TSV lines with the columns, types, unset and set markers the header declares', () => {
    const reader = new ZeekTsvReader();
    for (const h of HEADER) assert.equal(reader.header(h), true);
    const r = reader.record('1521911799.739898\tCabc\t10.0.0.5\t53211\t8.8.8.8\t53\tudp\tevil\\x2eexample\t1.2.3.4,5.6.7.8\tF')!;
    assert.equal(r.path, 'dns');
    assert.equal(r.fields['id.orig_p'], 53211);
    assert.equal(r.fields['query'], 'evil.example');
    assert.deepEqual(r.fields['answers'], ['1.2.3.4', '5.6.7.8']);
    assert.equal(r.fields['AA'], false);
    const time = addZeekEcs(r.fields, r.path);
    assert.equal(time, 1521911799740);
    assert.equal(r.fields['source.ip'], '10.0.0.5');
    assert.equal(r.fields['destination.port'], 53);
    assert.equal(r.fields['dns.question.name'], 'evil.example');
    assert.equal(r.fields['network.transport'], 'udp');
    assert.equal(r.fields['event.dataset'], 'zeek.dns');
  });

  it('refuses a data line whose columns do not match the header, and lines before any header', () => {
    assert.equal(new ZeekTsvReader().record('a\tb'), undefined);
    const reader = new ZeekTsvReader();
    for (const h of HEADER) reader.header(h);
    assert.equal(reader.record('only\ttwo'), undefined);
  });

  it('recognises Zeek JSON and maps it the same way, keeping the native names', () => {
    const fields = { _path: 'ssh', ts: '2018-03-24T17:16:39.739898Z', uid: 'C2', 'id.orig_h': '10.0.0.227', 'id.resp_p': 22, auth_success: true };
    assert.equal(looksLikeZeek(fields), true);
    assert.equal(addZeekEcs(fields, 'ssh'), Date.UTC(2018, 2, 24, 17, 16, 39, 739));
    assert.equal(fields['id.orig_h'], '10.0.0.227');
    assert.equal((fields as Record<string, unknown>)['source.ip'], '10.0.0.227');
  });

  it('reads every data line of the real Zeek TSV logs in the corpus', (t) => {
    const dirs = [corpusPath('zed-sample-data', 'zeek-default'), corpusPath('security-datasets', 'zeek', 'LSASS_campaign_01')];
    if (!corpusHas('zed-sample-data', 'zeek-default')) return t.skip(`corpus absent: ${dirs[0]}`);
    let lines = 0;
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
        const reader = new ZeekTsvReader();
        for (const line of readFileSync(`${dir}/${name}`, 'utf8').split('\n')) {
          if (line === '' || reader.header(line)) continue;
          lines++;
          assert.ok(reader.record(line), `${name}: ${line.slice(0, 80)}`);
        }
      }
    }
    t.diagnostic(`${lines} Zeek lines read`);
  });
});

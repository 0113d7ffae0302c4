/**
 * The query language on real data: the loghub OpenSSH log (2,000 sshd lines from a server under
 * attack) imported with `vigil ingest`, then questioned with `vigil search`. Every expected
 * figure is counted here from the raw lines, independently of Vigil's parser and store.
 * Needs the corpus (../shared/corpus); skips with a message when it is absent.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startVigil, type VigilProcess } from '../support/vigil-process.js';
import { corpusHas, corpusPath } from '../support/corpus.js';

const SSH = corpusPath('loghub', 'OpenSSH_2k.log');
const present = corpusHas('loghub', 'OpenSSH_2k.log');
const temp = mkdtempSync(join(tmpdir(), 'vigil-query-'));
const data = join(temp, 'data');
after(() => rmSync(temp, { recursive: true, force: true }));

const lines = present ? readFileSync(SSH, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
const pid = (l: string): number => Number(/sshd\[(\d+)\]/.exec(l)?.[1]);
/** The address sshd reports in a "Failed password … from <ip>" line. */
const failedFrom = (l: string): string | undefined => /Failed password for (?:invalid user )?.* from (\S+) port/.exec(l)?.[1];

interface EventsReply {
  kind: 'events';
  total: number;
  hits: { id: string; time: number; fields: Record<string, unknown> }[];
  fields?: string[];
}
interface TableReply {
  kind: 'table';
  columns: string[];
  rows: (string | number | null)[][];
  truncated: boolean;
}

async function search<T extends EventsReply | TableReply>(query: string, ...extra: string[]): Promise<T> {
  const run = await runCli(['search', query, '--data', data, '--json', '--limit', '10000', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

async function total(query: string): Promise<number> {
  return (await search<EventsReply>(query)).total;
}

describe('the query language on a real sshd log', { skip: present ? false : `corpus absent (${SSH}): skipping`, timeout: 300_000 }, () => {
  before(async () => {
    const run = await runCli(['ingest', SSH, '--data', data, '--json']);
    assert.equal(run.code, 0, run.stderr);
  });

  it('acceptance: "Failed password" AND source.ip:183.62.140.253 | stats count() gives 286', async () => {
    const expected = count(/Failed password.*183\.62\.140\.253/);
    assert.equal(expected, 286, 'the corpus file is the one the issue names');
    const table = await search<TableReply>('"Failed password" AND source.ip:183.62.140.253 | stats count()');
    assert.deepEqual(table, { kind: 'table', columns: ['count()'], rows: [[286]], truncated: false, tookMs: (table as { tookMs?: number }).tookMs });
  });

  it('field:value, quoted phrases, wildcards and free text', async () => {
    assert.equal(await total('"Failed password"'), count(/Failed password/));
    assert.equal(await total('failed'), count(/failed/i), 'free text is case-insensitive');
    assert.equal(await total('user.name:root AND "Failed password"'), count(/Failed password for root /));
    assert.equal(await total('"Failed password" AND source.ip:183.62.14?.*'), lines.filter((l) => /^183\.62\.14\d\./.test(failedFrom(l) ?? '')).length);
    assert.equal(await total('"Failed password" AND user.name:adm*'), count(/Failed password for (invalid user )?adm\S* from/));
    assert.equal(await total('"POSSIBLE BREAK-IN ATTEMPT"'), count(/POSSIBLE BREAK-IN ATTEMPT/));
  });

  it('comparisons on numbers', async () => {
    const over = lines.filter((l) => pid(l) > 25000).length;
    assert.ok(over > 0 && over < lines.length);
    assert.equal(await total('process.pid>25000'), over);
    assert.equal(await total('process.pid >= 25000'), lines.filter((l) => pid(l) >= 25000).length);
    assert.equal(await total('process.pid<24300'), lines.filter((l) => pid(l) < 24300).length);
  });

  it('networks (CIDR)', async () => {
    const in183 = lines.filter((l) => failedFrom(l)?.startsWith('183.')).length;
    assert.ok(in183 > 286);
    assert.equal(await total('"Failed password" AND source.ip:183.0.0.0/8'), in183);
    const in112 = lines.filter((l) => /^112\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(failedFrom(l) ?? '')).length;
    assert.ok(in112 > 0);
    assert.equal(await total('"Failed password" AND source.ip:112.64.0.0/10'), in112, 'a prefix off the octet boundary');
  });

  it('field exists, AND/OR/NOT and parentheses', async () => {
    const failed = count(/Failed password/);
    const withIp = await total('source.ip:*');
    assert.ok(withIp > failed);
    assert.equal(await total('"Failed password" AND NOT source.ip:183.62.140.253'), failed - 286);
    assert.equal(
      await total('("Failed password" OR "Invalid user") AND NOT user.name:root'),
      lines.filter((l) => /Failed password|invalid user/i.test(l) && !/ for root /.test(l)).length,
    );
  });

  it('| stats count() by, dc(), | top, | sort and | head', async () => {
    const byIp = new Map<string, number>();
    for (const l of lines) {
      const ip = failedFrom(l);
      if (ip !== undefined) byIp.set(ip, (byIp.get(ip) ?? 0) + 1);
    }
    const ranked = [...byIp].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const stats = await search<TableReply>('"Failed password" | stats count() by source.ip | head 3');
    assert.deepEqual(stats.columns, ['source.ip', 'count()']);
    assert.deepEqual(stats.rows, ranked.slice(0, 3).map(([ip, n]) => [ip, n]));
    assert.equal(stats.truncated, true);

    const dc = await search<TableReply>('"Failed password" | stats dc(source.ip)');
    assert.deepEqual(dc.rows, [[byIp.size]]);

    const top = await search<TableReply>('"Failed password" | top 2 source.ip');
    const failed = count(/Failed password/);
    assert.deepEqual(top.rows, ranked.slice(0, 2).map(([ip, n]) => [ip, n, Math.round((n * 10000) / failed) / 100]));

    const fewest = await search<TableReply>('"Failed password" | stats count() as n by source.ip | sort n, source.ip | head 1');
    const least = [...byIp].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]!;
    assert.deepEqual(fewest.rows, [[least[0], least[1]]]);
  });

  it('| timechart span=1h count() by', async () => {
    const chart = await search<TableReply>('"Failed password" | timechart span=1h count()');
    assert.deepEqual(chart.columns, ['_time', 'count()']);
    const sum = chart.rows.reduce((s, r) => s + Number(r[1]), 0);
    assert.equal(sum, count(/Failed password/));
    for (const row of chart.rows) assert.match(String(row[0]), /T\d\d:00:00\.000Z$/, 'buckets start on the hour');
  });

  it('| sort on a field and | fields', async () => {
    const sorted = await search<EventsReply>('"Failed password" | sort -process.pid | head 5 | fields process.pid, source.ip');
    const pids = lines.filter((l) => /Failed password/.test(l)).map(pid).sort((a, b) => b - a).slice(0, 5);
    assert.deepEqual(sorted.hits.map((h) => h.fields['process.pid']), pids);
    assert.deepEqual(sorted.fields, ['process.pid', 'source.ip']);
  });

  it('names the column of a mistake', async () => {
    const run = await runCli(['search', '"Failed password" | stats count() by', '--data', data]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /pipe ends at column 37/, 'just after the last character');
    const cidr = await runCli(['search', 'source.ip:10.0.0.0/40', '--data', data]);
    assert.match(cidr.stderr, /column 1.*not a network/);
  });

  describe('export', () => {
    it('streams every matching event as CSV, offline', async () => {
      const run = await runCli(['search', '"Failed password"', '--data', data, '--format', 'csv']);
      assert.equal(run.code, 0, run.stderr);
      const rows = run.stdout.split('\r\n').filter((l) => l !== '');
      assert.equal(rows[0], '@timestamp,host.name,user.name,source.ip,destination.ip,event.action,event.outcome,message');
      assert.equal(rows.length - 1, count(/Failed password/), 'all of them, past the 10,000-row search limit logic and its pages');
    });

    it('streams NDJSON and CSV through a running server', async () => {
      let server: VigilProcess | undefined;
      try {
        server = await startVigil(data);
        const nd = await runCli(['search', 'source.ip:183.62.140.253', '--data', data, '--format', 'ndjson']);
        assert.equal(nd.code, 0, nd.stderr);
        const events = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; time: number });
        assert.equal(events.length, count(/183\.62\.140\.253/));
        for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.time >= events[i]!.time, 'newest first');
        assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event twice across pages');

        const res = await fetch(`${server.info.http}/api/v1/export?format=csv&q=${encodeURIComponent('"Failed password" | top 3 source.ip')}`, {
          headers: { authorization: `Bearer ${server.token}` },
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
        assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="vigil-export-.*\.csv"/);
        const csv = (await res.text()).split('\r\n');
        assert.equal(csv[0], 'source.ip,count,percent');
        assert.match(csv[1] ?? '', /^183\.62\.140\.253,286,/);

        const bad = await fetch(`${server.info.http}/api/v1/export?format=xls&q=a`, { headers: { authorization: `Bearer ${server.token}` } });
        assert.equal(bad.status, 400);
      } finally {
        await server?.stop();
      }
    });
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Indicator } from './indicator.js';
import { indicatorFiles, loadIndicatorFiles, parseIndicatorText, type IndicatorFileReport } from './indicator-files.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/intel/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const DAY = 86_400_000;

const scratch = mkdtempSync(join(tmpdir(), 'vigil-intel-files-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
function write(name: string, text: string | Buffer): string {
  const dir = join(scratch, String(n++));
  mkdirSync(dir);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function loadOne(file: string, defaultTtlDays = 0): Promise<{ indicators: Indicator[]; report: IndicatorFileReport }> {
  const { indicators, files } = await loadIndicatorFiles([file], { defaultTtlDays });
  assert.equal(files.length, 1);
  return { indicators, report: files[0]! };
}

const values = (list: readonly Indicator[]) => list.map((i) => `${i.type}:${i.value}`);

describe('indicator files', () => {
  describe('plain lists', () => {
    it('load one indicator per line with the type detected, comments and descriptions, and count bad lines', async () => {
      const { indicators, report } = await loadOne(fixture('blocklist.txt'));
      assert.equal(report.format, 'list');
      assert.deepEqual(values(indicators), [
        'ipv4:192.0.2.10',
        'cidr:198.51.100.0/24',
        'ipv6:2001:db8:bad::1',
        'cidr:2001:db8:dead::/48',
        'domain:c2.loader.example',
        'domain:update-check.example.net',
        'url:http://files.example.org/payload/invoice-loader.exe',
        'domain:tracker.example.com',
        'md5:a571e269eb13406b5f711c977da8b0ff',
        'sha256:6dacdee80812e5778bb336f3e588b66543ffba9111c84be66a5ff2cdf85938df',
      ]);
      assert.equal(indicators[0]?.description, 'loader C2 (HTTP beacon)');
      assert.equal(indicators[1]?.description, 'bulletproof hosting range');
      assert.equal(indicators[0]?.source, 'blocklist.txt');
      assert.equal(report.invalid, 1);
      assert.match(report.problems[0] ?? '', /^line 14: /);
    });
  });

  describe('CSV', () => {
    it('loads rows by recognised column names, with type, description, confidence and expiry', async () => {
      const { indicators, report } = await loadOne(fixture('feed.csv'));
      assert.equal(report.format, 'csv');
      assert.deepEqual(values(indicators), [
        'ipv4:203.0.113.66',
        'domain:stealer-panel.example',
        'url:https://cdn.example.com/dl/stealer.dll',
        'sha1:853292f159d5e15ee70701c11d5daf4c46887b68',
        'ipv4:203.0.113.99',
        'domain:quoted.example.org',
      ]);
      const [cs, , url, , retired, quoted] = indicators;
      assert.equal(cs?.description, 'Cobalt Strike team server');
      assert.equal(cs?.confidence, 90);
      assert.equal(cs?.expires, Date.UTC(2099, 11, 31));
      assert.equal(url?.confidence, 85, '"high" read as 85');
      assert.equal(retired?.expires, Date.UTC(2020, 0, 1));
      assert.equal(quoted?.description, 'Quoted, with a comma');
      assert.equal(report.skipped, 1, 'the email row is not a type Vigil matches');
      assert.equal(report.invalid, 1, 'the typo row');
      assert.equal(report.expired, 1);
    });

    it('takes the header from the last comment line, as abuse.ch feeds write it', async () => {
      const file = write(
        'feodo.csv',
        [
          '################################################################',
          '# Botnet C2 IP blocklist (example)                             #',
          '################################################################',
          '# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware',
          '"2026-01-03 10:11:12","192.0.2.31","443","online","2026-03-01","Emotet"',
          '"2026-01-04 00:00:00","198.51.100.32","8080","offline","2026-02-01","QakBot"',
          '# END 2 entries',
        ].join('\n'),
      );
      const { indicators, report } = await loadOne(file);
      assert.equal(report.format, 'csv');
      assert.deepEqual(values(indicators), ['ipv4:192.0.2.31', 'ipv4:198.51.100.32']);
      assert.equal(indicators[0]?.added, Date.UTC(2026, 0, 3, 10, 11, 12));
      assert.equal(indicators[0]?.description, 'Emotet');
      assert.equal(report.invalid, 0);
    });

    it('gives an indicator for each typed value column of a row, and reads rows without a header', async () => {
      const hashes = write('bazaar.csv', 'sha256_hash,md5_hash,sha1_hash,file_name,signature\n8bf28e6e00f42ea8e2275f03c86090510558cf5cf3dc9acc35e500bbf9b7fb52,c7ec5487aa16d1ac0dadaad02b709d2c,853292f159d5e15ee70701c11d5daf4c46887b68,stealer.dll,Stealer\n');
      const a = await loadOne(hashes);
      assert.deepEqual(a.indicators.map((i) => i.type), ['sha256', 'md5', 'sha1']);
      assert.equal(a.indicators[0]?.description, 'Stealer');

      const headerless = write('plain.csv', '192.0.2.41,2026-01-01,scanner\nhttps://evil.example/x;y,2026-01-02,phish\n');
      const b = await loadOne(headerless);
      assert.deepEqual(values(b.indicators), ['ipv4:192.0.2.41', 'url:https://evil.example/x;y']);

      const otx = write('otx.tsv', 'Indicator type\tIndicator\tDescription\nIPv4\t203.0.113.7\tC2\nFileHash-MD5\tc2395ca70582a2a2320b1919083a661a\tbeacon\nhostname\twww.evil.example\t\nMutex\tGlobal\\\\x\t\n');
      const c = await loadOne(otx);
      assert.deepEqual(values(c.indicators), ['ipv4:203.0.113.7', 'md5:c2395ca70582a2a2320b1919083a661a', 'domain:www.evil.example']);
      assert.equal(c.report.skipped, 1);
    });
  });

  describe('STIX 2.1 bundles', () => {
    it('load indicator patterns, skip revoked, non-STIX and AND patterns, and report broken ones', async () => {
      const { indicators, report } = await loadOne(fixture('bundle.stix.json'));
      assert.equal(report.format, 'stix');
      assert.deepEqual(values(indicators), [
        'ipv4:203.0.113.45',
        'domain:evil.example',
        'domain:login-evil.example.net',
        'url:http://198.51.100.77/gate.php?id=1',
        'sha256:8bf28e6e00f42ea8e2275f03c86090510558cf5cf3dc9acc35e500bbf9b7fb52',
        'md5:c7ec5487aa16d1ac0dadaad02b709d2c',
        'domain:old-c2.example',
        "url:http://quote.example/it's/here",
      ]);
      assert.ok(!values(indicators).includes('ipv4:192.0.2.200'), 'revoked');
      const c2 = indicators[0]!;
      assert.equal(c2.description, 'HTTPS beacon destination of the Invoice Loader');
      assert.equal(c2.confidence, 85);
      assert.equal(c2.expires, Date.UTC(2099, 0, 1));
      assert.equal(c2.added, Date.UTC(2026, 0, 10, 8));
      assert.equal(c2.reference, 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f');
      assert.equal(indicators[6]?.expires, Date.UTC(2021, 4, 1));
      assert.equal(report.skipped, 3, 'revoked, AND, sigma');
      assert.equal(report.invalid, 1, 'the unbalanced pattern');
      assert.equal(report.expired, 1);
      assert.ok(report.problems.some((p) => p.includes('AND')));
    });
  });

  describe('MISP exports', () => {
    it('load to_ids attributes of the event and its objects, composite types included', async () => {
      const { indicators, report } = await loadOne(fixture('misp-event.json'));
      assert.equal(report.format, 'misp');
      assert.deepEqual(values(indicators), [
        'ipv4:192.0.2.55',
        'ipv4:203.0.113.80',
        'domain:panel.loader.example',
        'url:https://loader.example/gate',
        'sha256:3c81660fc397af59581b78976c52c8283b6e24b994ef41b7ed2a30016e5ebc8e',
        'domain:dl.loader.example',
        'ipv4:192.0.2.77',
        'sha1:ae26de40b32cf332f56b25120a780c04a5629c10',
        'md5:8941fd2086cd8b761f7dd6bebdbd397b',
      ]);
      assert.ok(!values(indicators).includes('ipv4:192.0.2.99'), 'to_ids false');
      assert.equal(indicators[0]?.description, 'Loader C2');
      assert.equal(indicators[1]?.description, 'Invoice Loader campaign, March 2026', 'the event info when the comment is empty');
      assert.equal(indicators[0]?.added, 1772438400 * 1000);
      assert.equal(indicators[0]?.reference, 'a1b2c3d4-0001-4000-8000-000000000001');
      assert.equal(report.skipped, 3, 'to_ids false, email-src, filename');
      assert.equal(report.invalid, 1, 'the empty domain');
    });

    it('also read a list of events and the API response wrapper', async () => {
      const event = (ip: string) => ({ Event: { info: 'x', Attribute: [{ type: 'ip-dst', value: ip, to_ids: '1' }] } });
      const list = await loadOne(write('events.json', JSON.stringify([event('192.0.2.1'), event('192.0.2.2')])));
      assert.deepEqual(values(list.indicators), ['ipv4:192.0.2.1', 'ipv4:192.0.2.2']);
      const api = await loadOne(write('response.json', JSON.stringify({ response: [event('192.0.2.3')] })));
      assert.deepEqual(values(api.indicators), ['ipv4:192.0.2.3']);
    });
  });

  describe('expiry', () => {
    it('gives indicators without their own expiry defaultTtlDays after the file was modified; 0 means never', async () => {
      const file = write('old.txt', '192.0.2.61\n');
      const modified = Date.now() - 100 * DAY;
      utimesSync(file, modified / 1000, modified / 1000);
      const ninety = await loadOne(file, 90);
      assert.ok(Math.abs(ninety.indicators[0]!.expires! - (modified + 90 * DAY)) < 1000);
      assert.equal(ninety.report.expired, 1, 'loaded, and counted as expired');
      const never = await loadOne(file, 0);
      assert.equal(never.indicators[0]!.expires, undefined);
      const byDefault = await loadIndicatorFiles([file]);
      assert.ok(Math.abs(byDefault.indicators[0]!.expires! - (modified + 90 * DAY)) < 1000, '90 days by default');
    });
  });

  describe('folders and hostile input', () => {
    it('reads a folder recursively, files with indicator extensions only', async () => {
      const root = join(scratch, 'tree');
      mkdirSync(join(root, 'sub'), { recursive: true });
      writeFileSync(join(root, 'a.txt'), '192.0.2.1\n');
      writeFileSync(join(root, 'sub', 'b.csv'), 'ip\n192.0.2.2\n');
      writeFileSync(join(root, 'README.md'), 'Put feeds here: file.txt\n');
      writeFileSync(join(root, '.hidden.txt'), '192.0.2.3\n');
      assert.deepEqual(indicatorFiles(root).map((f) => f.slice(root.length + 1)), ['a.txt', join('sub', 'b.csv')]);
      const { indicators } = await loadIndicatorFiles([root], { defaultTtlDays: 0 });
      assert.deepEqual(values(indicators), ['ipv4:192.0.2.1', 'ipv4:192.0.2.2']);
    });

    it('reports a missing path or unreadable JSON instead of throwing', async () => {
      const { indicators, files } = await loadIndicatorFiles([join(scratch, 'no-such-feed.txt'), write('broken.json', '{"type": "bundle", "objects": [')]);
      assert.equal(indicators.length, 0);
      assert.deepEqual(files.map((f) => f.format), ['unreadable', 'unreadable']);
      assert.match(files[0]!.problems[0]!, /ENOENT/);
      assert.match(files[1]!.problems[0]!, /not valid JSON/);
      const other = await loadOne(write('other.json', '{"hello": "world"}'));
      assert.match(other.report.problems[0]!, /neither a STIX bundle nor a MISP export/);
    });

    it('survives a 10 MB single line, in a list, a CSV and a JSON file, quickly', async () => {
      const huge = `192.0.2.1${'A'.repeat(10 * 1024 * 1024)}`;
      const started = performance.now();
      const list = await loadOne(write('huge.txt', `192.0.2.70\n${huge}\n192.0.2.71\n`));
      assert.deepEqual(values(list.indicators), ['ipv4:192.0.2.70', 'ipv4:192.0.2.71']);
      assert.equal(list.report.invalid, 1);
      assert.match(list.report.problems[0]!, /line 2: longer than/);
      const csv = await loadOne(write('huge.csv', `indicator,description\n"${huge}\n192.0.2.72,ok\n`));
      assert.deepEqual(values(csv.indicators), ['ipv4:192.0.2.72']);
      assert.equal(csv.report.invalid, 1);
      const json = await loadOne(write('huge.json', `{"type":"bundle","objects":[{"type":"indicator","pattern":"[ipv4-addr:value = '${huge}']"}]}`));
      assert.equal(json.indicators.length, 0);
      assert.equal(json.report.invalid, 1);
      const binary = await loadOne(write('random.txt', Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256))));
      assert.equal(binary.indicators.length, 0);
      assert.ok(performance.now() - started < 10_000, 'no pathological scanning');
    });

    it('survives STIX indicators with odd quoting and odd shapes', async () => {
      const objects = [
        { type: 'indicator', pattern: "[domain-name:value = 'ok.example']" },
        { type: 'indicator', pattern: "[domain-name:value = 'it\\'s.example']" },
        { type: 'indicator', pattern: "[domain-name:value = 'unterminated.example]" },
        { type: 'indicator', pattern: "[file:hashes.'SHA-256 = 'abc']" },
        { type: 'indicator', pattern: "[url:value = 'http://a.example/\\\\'] OR [url:value = 'http://b.example/\"q\"']" },
        { type: 'indicator', pattern: 42 },
        { type: 'indicator' },
        { type: 'indicator', pattern: "[ipv4-addr:value = '192.0.2.9']", valid_until: 'not a date' },
        'not an object',
        null,
      ];
      const { indicators, report } = await loadOne(write('odd.json', JSON.stringify({ type: 'bundle', objects })));
      assert.deepEqual(values(indicators), ['domain:ok.example', 'url:http://a.example/\\', 'url:http://b.example/"q"', 'ipv4:192.0.2.9']);
      assert.equal(report.invalid, 5);
      assert.ok(report.problems.some((p) => p.includes('valid_until')));
    });

    it('reads text given directly, with a forced format', async () => {
      const { indicators, report } = await parseIndicatorText('evil.example\n', { file: 'inline', mtime: 0, defaultTtlDays: 0, format: 'list' });
      assert.equal(report.format, 'list');
      assert.deepEqual(values(indicators), ['domain:evil.example']);
      assert.equal(indicators[0]?.source, 'inline');
    });
  });
});

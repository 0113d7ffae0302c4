import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectIndicator, type Indicator } from './indicator.js';
import { IndicatorIndex } from './indicator-index.js';

function ind(text: string, extra: Partial<Indicator> = {}): Indicator {
  const v = detectIndicator(text);
  assert.ok(v, text);
  return { ...v, source: 'test.txt', added: 0, ...extra };
}

const matched = (list: readonly Indicator[]) => list.map((i) => i.value);

describe('indicator index', () => {
  it('matches IPv4 addresses exactly and inside every network that contains them', () => {
    const index = IndicatorIndex.from([ind('192.0.2.10'), ind('198.51.100.0/24'), ind('198.51.100.128/25'), ind('203.0.113.0/31'), ind('0.0.0.0/0', { source: 'everything' })]);
    assert.deepEqual(matched(index.match('192.0.2.10', 'ip')), ['192.0.2.10', '0.0.0.0/0']);
    assert.deepEqual(matched(index.match('198.51.100.200', 'ip')), ['198.51.100.128/25', '198.51.100.0/24', '0.0.0.0/0'], 'most specific first');
    assert.deepEqual(matched(index.match('198.51.100.5', 'ipv4')), ['198.51.100.0/24', '0.0.0.0/0']);
    assert.deepEqual(matched(index.match('203.0.113.1', 'cidr')), ['203.0.113.0/31', '0.0.0.0/0']);
    assert.deepEqual(matched(index.match('203.0.113.2', 'ip')), ['0.0.0.0/0']);
    assert.deepEqual(matched(index.match('::ffff:198.51.100.9', 'ip')), ['198.51.100.0/24', '0.0.0.0/0'], 'IPv4-mapped IPv6');
    assert.deepEqual(matched(index.match('192.0.2.10:51514', 'ip')), ['192.0.2.10', '0.0.0.0/0'], 'with a port');
  });

  it('matches IPv6 addresses exactly and by prefix, nibble boundaries or not', () => {
    const index = IndicatorIndex.from([ind('2001:db8:bad::1'), ind('2001:db8:dead::/48'), ind('2001:db8:f000::/36'), ind('2001:db8:ffff:8000::/49')]);
    assert.deepEqual(matched(index.match('2001:0DB8:0BAD:0:0:0:0:1', 'ip')), ['2001:db8:bad::1']);
    assert.deepEqual(matched(index.match('2001:db8:dead:1::2', 'ip')), ['2001:db8:dead::/48']);
    assert.deepEqual(matched(index.match('2001:db8:f123::9', 'ip')), ['2001:db8:f000::/36']);
    assert.deepEqual(matched(index.match('2001:db8:ffff:8001::1', 'ip')), ['2001:db8:ffff:8000::/49', '2001:db8:f000::/36']);
    assert.deepEqual(matched(index.match('2001:db8:ffff:7fff::1', 'ip')), ['2001:db8:f000::/36']);
    assert.deepEqual(matched(index.match('2001:db8:e000::1', 'ip')), []);
    assert.deepEqual(matched(index.match('[2001:db8:bad::1]:443', 'ip')), ['2001:db8:bad::1']);
  });

  it('matches a domain and every subdomain of it, on label boundaries only', () => {
    const index = IndicatorIndex.from([ind('evil.example'), ind('login.evil.example', { source: 'other' })]);
    assert.deepEqual(matched(index.match('evil.example', 'domain')), ['evil.example']);
    assert.deepEqual(matched(index.match('A.B.Evil.Example.', 'domain')), ['evil.example'], 'case and trailing dot');
    assert.deepEqual(matched(index.match('x.login.evil.example', 'domain')), ['login.evil.example', 'evil.example']);
    assert.deepEqual(matched(index.match('notevil.example', 'domain')), []);
    assert.deepEqual(matched(index.match('example', 'domain')), []);
    assert.deepEqual(matched(index.match('evil.example.net', 'domain')), []);
  });

  it('matches URLs after minimal normalisation, with or without the scheme', () => {
    const index = IndicatorIndex.from([ind('http://files.example.org/payload/invoice-loader.exe'), ind('https://loader.example/gate?id=7')]);
    assert.equal(index.match('HTTP://FILES.example.org:80/payload/invoice-loader.exe#top', 'url').length, 1);
    assert.equal(index.match('https://files.example.org/payload/invoice-loader.exe', 'url').length, 1, 'scheme left out');
    assert.equal(index.match('files.example.org/payload/invoice-loader.exe', 'url').length, 1);
    assert.equal(index.match('http://files.example.org/payload/INVOICE-loader.exe', 'url').length, 0, 'path case kept');
    assert.equal(index.match('https://loader.example:443/gate?id=7', 'url').length, 1);
    assert.equal(index.match('https://loader.example/gate?id=8', 'url').length, 0);
    assert.equal(index.match('https://loader.example:8443/gate?id=7', 'url').length, 0);
  });

  it('matches hashes exactly, any case, by their algorithm', () => {
    const index = IndicatorIndex.from([ind('a571e269eb13406b5f711c977da8b0ff'), ind('6dacdee80812e5778bb336f3e588b66543ffba9111c84be66a5ff2cdf85938df')]);
    assert.equal(index.match('A571E269EB13406B5F711C977DA8B0FF', 'hash').length, 1);
    assert.equal(index.match('a571e269eb13406b5f711c977da8b0ff', 'md5').length, 1);
    assert.equal(index.match('a571e269eb13406b5f711c977da8b0ff', 'sha256').length, 0);
    assert.equal(index.match('6dacdee80812e5778bb336f3e588b66543ffba9111c84be66a5ff2cdf85938df', 'hash').length, 1);
    assert.equal(index.match('a571e269eb13406b5f711c977da8b0fe', 'hash').length, 0);
  });

  it('never matches an indicator after its expiry, judged at the time given', () => {
    const expires = Date.UTC(2026, 0, 1);
    const index = IndicatorIndex.from([ind('192.0.2.10', { expires }), ind('evil.example', { expires }), ind('198.51.100.0/24', { expires })]);
    assert.equal(index.match('192.0.2.10', 'ip', expires - 1).length, 1);
    assert.equal(index.match('192.0.2.10', 'ip', expires).length, 0);
    assert.equal(index.match('a.evil.example', 'domain', expires + 1).length, 0);
    assert.equal(index.match('198.51.100.1', 'ip', expires - 1).length, 1);
    assert.equal(index.match('198.51.100.1', 'ip').length, 0, 'now, by default');
  });

  it('reports one match for a value listed by several feeds: the most confident live one, and keeps all sources', () => {
    const index = IndicatorIndex.from([
      ind('192.0.2.10', { source: 'a.txt', confidence: 40 }),
      ind('192.0.2.10', { source: 'b.csv', confidence: 90, expires: 1000 }),
      ind('192.0.2.10', { source: 'c.json', confidence: 80 }),
    ]);
    assert.deepEqual(index.match('192.0.2.10', 'ip', 500).map((i) => i.source), ['b.csv']);
    assert.deepEqual(index.match('192.0.2.10', 'ip', 2000).map((i) => i.source), ['c.json']);
    assert.deepEqual(index.sourcesOf({ type: 'ipv4', value: '192.0.2.10' }).map((i) => i.source), ['a.txt', 'b.csv', 'c.json']);
    assert.equal(index.size, 3);
    assert.equal(index.counts.ipv4, 3);
  });

  it('finds nothing, without failing, for values that are not of the kind asked or are junk', () => {
    const index = IndicatorIndex.from([ind('192.0.2.10'), ind('evil.example'), ind('https://evil.example/x'), ind('a571e269eb13406b5f711c977da8b0ff')]);
    for (const [value, kind] of [
      ['', 'ip'], ['-', 'ip'], ['evil.example', 'ip'], ['192.0.2.10', 'domain'], ['not a url', 'url'], ['zz', 'hash'], ['x'.repeat(100_000), 'domain'], ['x'.repeat(100_000), 'url'],
    ] as const) {
      assert.deepEqual(index.match(value, kind), [], `${value.slice(0, 20)} as ${kind}`);
    }
    assert.deepEqual(new IndicatorIndex().match('192.0.2.10', 'ip'), []);
    assert.equal(new IndicatorIndex().has('ip'), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectIndicator, levelOf, normaliseAs, parseIp, refang } from './indicator.js';
import { readStixPattern } from './stix-pattern.js';

describe('indicator text', () => {
  it('detects the type of a bare value and writes it in normal form', () => {
    assert.deepEqual(detectIndicator('192.0.2.10'), { type: 'ipv4', value: '192.0.2.10' });
    assert.deepEqual(detectIndicator('2001:DB8:0:0:0:0:0:BAD'), { type: 'ipv6', value: '2001:db8::bad' });
    assert.deepEqual(detectIndicator('198.51.100.77/24'), { type: 'cidr', value: '198.51.100.0/24' }, 'host bits cleared');
    assert.deepEqual(detectIndicator('2001:db8:dead:beef::/48'), { type: 'cidr', value: '2001:db8:dead::/48' });
    assert.deepEqual(detectIndicator('C2.Loader.Example.'), { type: 'domain', value: 'c2.loader.example' });
    assert.deepEqual(detectIndicator('bücher.example'), { type: 'domain', value: 'xn--bcher-kva.example' });
    assert.deepEqual(detectIndicator('HTTP://Files.Example.ORG:80/Payload/X.exe#frag'), { type: 'url', value: 'http://files.example.org/Payload/X.exe' });
    assert.deepEqual(detectIndicator('files.example.org/payload?a=1'), { type: 'url', value: 'http://files.example.org/payload?a=1' });
    assert.deepEqual(detectIndicator('A571E269EB13406B5F711C977DA8B0FF'), { type: 'md5', value: 'a571e269eb13406b5f711c977da8b0ff' });
    assert.equal(detectIndicator('853292f159d5e15ee70701c11d5daf4c46887b68')?.type, 'sha1');
    assert.equal(detectIndicator('8bf28e6e00f42ea8e2275f03c86090510558cf5cf3dc9acc35e500bbf9b7fb52')?.type, 'sha256');
    assert.deepEqual(detectIndicator('192.0.2.10:8443'), { type: 'ipv4', value: '192.0.2.10' }, 'a port is dropped');
  });

  it('refangs defanged text', () => {
    assert.equal(refang('hxxps://evil[.]example[:]8443/x'), 'https://evil.example:8443/x');
    assert.deepEqual(detectIndicator('update-check(.)example[.]net'), { type: 'domain', value: 'update-check.example.net' });
  });

  it('rejects what is not an indicator', () => {
    for (const text of ['', 'word', '300.1.2.3', '1.2.3', 'a..b.example', 'exa mple.com', '-bad-.example', 'abc:def', 'g'.repeat(64), '198.51.100.0/33', 'x'.repeat(5000)]) {
      assert.equal(detectIndicator(text), undefined, text.slice(0, 20));
    }
    assert.equal(normaliseAs('md5', '853292f159d5e15ee70701c11d5daf4c46887b68'), undefined, 'a SHA-1 is not an MD5');
  });

  it('reads addresses as events write them', () => {
    assert.deepEqual(parseIp('::ffff:192.0.2.7'), parseIp('192.0.2.7'), 'IPv4-mapped IPv6 is the IPv4 address');
    assert.equal(parseIp('[2001:db8::1]:443')?.version, 6);
    assert.equal(parseIp('fe80::1%eth0')?.version, 6);
    assert.equal(parseIp('192.0.2.7:51514')?.version, 4);
    assert.equal(parseIp('evil.example'), undefined);
  });

  it('maps confidence to an alert level, high when none is given', () => {
    assert.equal(levelOf(undefined), 'high');
    assert.equal(levelOf(85), 'high');
    assert.equal(levelOf(55), 'medium');
    assert.equal(levelOf(10), 'low');
  });
});

describe('STIX pattern reader', () => {
  it('reads single comparisons of the supported object paths', () => {
    assert.deepEqual(readStixPattern("[ipv4-addr:value = '203.0.113.45']").observables, [{ type: 'ipv4', value: '203.0.113.45' }]);
    assert.deepEqual(readStixPattern("[ipv4-addr:value = '198.51.100.0/24']").observables, [{ type: 'cidr', value: '198.51.100.0/24' }]);
    assert.deepEqual(readStixPattern("[ipv6-addr:value = '2001:db8::bad']").observables, [{ type: 'ipv6', value: '2001:db8::bad' }]);
    assert.deepEqual(readStixPattern("[domain-name:value = 'Evil.Example']").observables, [{ type: 'domain', value: 'evil.example' }]);
    assert.deepEqual(readStixPattern("[url:value = 'https://evil.example/a']").observables, [{ type: 'url', value: 'https://evil.example/a' }]);
    assert.deepEqual(readStixPattern("[file:hashes.'SHA-256' = '8BF28E6E00F42EA8E2275F03C86090510558CF5CF3DC9ACC35E500BBF9B7FB52']").observables, [
      { type: 'sha256', value: '8bf28e6e00f42ea8e2275f03c86090510558cf5cf3dc9acc35e500bbf9b7fb52' },
    ]);
    assert.deepEqual(readStixPattern("[file:hashes.MD5 = 'c7ec5487aa16d1ac0dadaad02b709d2c']").observables, [{ type: 'md5', value: 'c7ec5487aa16d1ac0dadaad02b709d2c' }]);
    assert.deepEqual(readStixPattern("[file:hashes.'SHA1' = '853292f159d5e15ee70701c11d5daf4c46887b68']").observables[0]?.type, 'sha1');
    assert.deepEqual(readStixPattern("[network-traffic:dst_ref.value = '192.0.2.10']").observables, [{ type: 'ipv4', value: '192.0.2.10' }]);
  });

  it('reads OR-ed comparisons inside and across observation expressions', () => {
    const r = readStixPattern("([domain-name:value = 'a.example' OR domain-name:value = 'b.example']) OR [ipv4-addr:value = '192.0.2.1']");
    assert.deepEqual(r.observables.map((o) => o.value), ['a.example', 'b.example', '192.0.2.1']);
    assert.equal(r.problem, undefined);
  });

  it('leaves out non-equality comparisons of an OR, and says so', () => {
    const r = readStixPattern("[domain-name:value = 'a.example' OR domain-name:value LIKE '%.example' OR email-addr:value = 'x@example.com']");
    assert.deepEqual(r.observables.map((o) => o.value), ['a.example']);
    assert.match(r.problem ?? '', /LIKE/);
  });

  it('does not reduce AND, FOLLOWEDBY or qualified patterns to a part of themselves', () => {
    for (const p of [
      "[file:name = 'beacon.bin' AND file:hashes.MD5 = 'c2395ca70582a2a2320b1919083a661a']",
      "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
      "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES WITHIN 60 SECONDS",
    ]) {
      const r = readStixPattern(p);
      assert.equal(r.observables.length, 0, p);
      assert.equal(r.unsupported, true, p);
    }
  });

  it('handles escaped and odd quoting without throwing', () => {
    assert.deepEqual(readStixPattern("[url:value = 'http://quote.example/it\\'s']").observables, [{ type: 'url', value: "http://quote.example/it's" }]);
    assert.deepEqual(readStixPattern('[domain-name:value = "dq.example"]').observables, [{ type: 'domain', value: 'dq.example' }], 'double quotes, liberally');
    for (const p of [
      "[ipv4-addr:value = '192.0.2.1'",
      "[ipv4-addr:value = '192.0.2.1]",
      "[ipv4-addr:value = '192.0.2.1\\",
      "ipv4-addr:value = '192.0.2.1'",
      "[ipv4-addr:value = ]",
      "[ipv4-addr:value '192.0.2.1']",
      "[ipv4-addr:value = '192.0.2.1']]]",
      "[ipv4-addr:value = '192.0.2.1' OR]",
      '[]',
      '',
      "[ipv4-addr:value = ''''']",
      "[file:hashes.'SHA-256 = 'abc']",
      "[ipv4-addr:value = '192.0.2.1'] ; DROP TABLE",
      '[\u0000\u0001]',
    ]) {
      const r = readStixPattern(p);
      assert.equal(r.observables.length, 0, JSON.stringify(p));
      assert.ok(r.problem, JSON.stringify(p));
    }
  });

  it('reads hostile patterns in linear time', () => {
    const started = performance.now();
    const results = [
      readStixPattern('['.repeat(200_000)),
      readStixPattern(`[ipv4-addr:value = '${"\\'".repeat(100_000)}`),
      readStixPattern(`${"[ipv4-addr:value = '192.0.2.1'] OR ".repeat(5_000)}[ipv4-addr:value = '192.0.2.2']`),
      readStixPattern(`[url:value = '${'a'.repeat(10 * 1024 * 1024)}']`),
      readStixPattern(`[domain-name:value = 'x' ${'OR '.repeat(50_000)}`),
    ];
    assert.ok(performance.now() - started < 3000, 'fast');
    assert.ok(results[0]!.problem);
    assert.ok(results[1]!.problem);
    assert.deepEqual(results[2]!.observables.map((o) => o.value), ['192.0.2.1', '192.0.2.2'], 'duplicates collapse');
    assert.match(results[3]!.problem ?? '', /longer than/);
    assert.ok(results[4]!.problem);
  });
});

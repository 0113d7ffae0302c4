import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NOT_ROUTED, NetworkSet, RFC1918_AND_ULA, formatIPv4, isPublicAddress, parseIPv4, parseIPv6, parseIp } from './ip-networks.js';

describe('IP networks', () => {
  it('parses dotted IPv4 strictly (four octets, no leading zeros, none above 255)', () => {
    assert.equal(parseIPv4('10.1.2.3'), 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256 + 3);
    assert.equal(parseIPv4('255.255.255.255'), 2 ** 32 - 1);
    for (const bad of ['10.1.2', '10.1.2.3.4', '256.1.1.1', '01.1.1.1', '1..1.1', '', 'a.b.c.d', '10.1.2.3 ']) assert.equal(parseIPv4(bad), -1, bad);
  });

  it('parses IPv6 with ::, an IPv4 tail and a zone, and maps ::ffff:a.b.c.d to IPv4', () => {
    assert.deepEqual([...parseIPv6('fe80::1%eth0')!], [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual([...parseIPv6('2001:db8::ffff:1.2.3.4')!], [0x2001, 0xdb8, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    assert.deepEqual([...parseIPv6('::')!], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseIp('::ffff:10.0.0.1'), { v: 4, n: parseIPv4('10.0.0.1') });
    for (const bad of ['1:2:3', '1::2::3', 'g::1', '12345::1', '1:2:3:4:5:6:7:8:9']) assert.equal(parseIPv6(bad), undefined, bad);
  });

  it('tells which addresses are in the private networks (RFC 1918, fc00::/7), IPv4-mapped included', () => {
    const internal = new NetworkSet(RFC1918_AND_ULA);
    for (const ip of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.41', 'fd12:3456::1', '::ffff:192.168.0.1']) assert.ok(internal.has(ip), ip);
    for (const ip of ['11.0.0.1', '172.32.0.1', '192.169.0.1', '8.8.8.8', '2001:db8::1', 'fe80::1', 'not-an-ip']) assert.ok(!internal.has(ip), ip);
  });

  it('knows the addresses that are never on the internet', () => {
    const never = new NetworkSet(NOT_ROUTED);
    for (const ip of ['127.0.0.1', '0.0.0.0', '169.254.169.254', '224.0.0.251', '239.255.255.250', '255.255.255.255', '::1', 'fe80::1', 'ff02::fb']) assert.ok(never.has(ip), ip);
    for (const ip of ['8.8.8.8', '2606:4700::1111']) assert.ok(!never.has(ip), ip);
  });

  it('accepts single addresses and any prefix length, and refuses what is not a network', () => {
    const set = new NetworkSet(['203.0.113.7', '198.51.100.0/31', '2001:db8::/32', '0.0.0.0/0']);
    assert.ok(set.has('203.0.113.7') && set.has('198.51.100.1') && set.has('2001:db8:1::5'));
    assert.ok(new NetworkSet(['0.0.0.0/0']).has('1.2.3.4'));
    assert.ok(!new NetworkSet(['198.51.100.0/31']).has('198.51.100.2'));
    assert.throws(() => new NetworkSet(['10.0.0.0/33']), /prefix/);
    assert.throws(() => new NetworkSet(['example.com']), /not an IP/);
  });
});

describe('public addresses', () => {
  it('counts addresses on the internet as public, in IPv4, IPv6 and IPv4-mapped IPv6', () => {
    for (const text of ['8.8.8.8', '81.2.69.142', '183.62.140.253', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      assert.equal(isPublicAddress(parseIp(text)!), true, text);
    }
  });

  it('leaves out private, loopback, link-local, CGNAT, multicast, reserved and documentation ranges', () => {
    for (const text of [
      '10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255', '0.0.0.0',
      '192.0.2.10', '198.51.100.7', '203.0.113.9', '198.18.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1',
    ]) {
      assert.equal(isPublicAddress(parseIp(text)!), false, text);
    }
  });

  it('formats an IPv4 number back to dotted text', () => {
    assert.equal(formatIPv4(parseIPv4('203.0.113.255')), '203.0.113.255');
    assert.equal(formatIPv4(2 ** 32 - 1), '255.255.255.255');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../../core/ip-networks.js';
import { AsnDatabase, parseAsnCsv } from './asn-database.js';

const key4 = (text: string) => Uint32Array.of((parseIp(text) as { n: number }).n);
const key6 = (text: string) => {
  const w = (parseIp(text) as { words: Uint16Array }).words;
  return Uint32Array.from({ length: 4 }, (_, i) => w[2 * i]! * 65536 + w[2 * i + 1]!);
};

describe('ASN range table', () => {
  it('finds the range that holds an IPv4 address, and nothing in the gaps or outside', () => {
    const table = parseAsnCsv('16777216,16777471,13335,"Cloudflare, Inc."\n16778240,16779263,38803,Gtelecom Pty Ltd\n', 4, 'test.csv');
    assert.deepEqual(table.find(key4('1.0.0.1')), { number: 13335, organization: 'Cloudflare, Inc.' });
    assert.deepEqual(table.find(key4('1.0.4.0')), { number: 38803, organization: 'Gtelecom Pty Ltd' });
    assert.deepEqual(table.find(key4('1.0.7.255')), { number: 38803, organization: 'Gtelecom Pty Ltd' });
    for (const gap of ['1.0.1.0', '0.255.255.255', '1.0.8.0']) assert.equal(table.find(key4(gap)), undefined, gap);
  });

  it('finds IPv6 ranges compared on all 128 bits', () => {
    const table = parseAsnCsv('2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC\r\n2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,"WIDE ""Project"""\r\n', 6, 'test.csv');
    assert.equal(table.find(key6('2001::1'))?.number, 6939);
    assert.deepEqual(table.find(key6('2001:200:1b9::5')), { number: 2500, organization: 'WIDE "Project"' });
    assert.equal(table.find(key6('2001:200:1ba::')), undefined);
    assert.equal(table.size, 2);
  });

  it('shares one string per organisation across its ranges', () => {
    const table = parseAsnCsv('1,2,5,Org\n3,4,5,Org\n5,6,7,Other\n', 4, 'test.csv');
    assert.deepEqual(table.orgs, ['Org', 'Other']);
  });

  it('refuses a file whose rows are not sorted, naming the line', () => {
    assert.throws(() => parseAsnCsv('10,20,1,A\n5,8,2,B\n', 4, 'asn.csv'), /asn\.csv, line 2: rows are not sorted/);
    assert.throws(() => parseAsnCsv('10,20,1\n', 4, 'asn.csv'), /asn\.csv, line 1: expected start,end,asn,organisation/);
  });

  it('answers from the bundled data for IPv4 and IPv6', () => {
    const db = AsnDatabase.bundled();
    assert.equal(db.lookup(parseIp('1.1.1.1')!, '1.1.1.1')?.number, 13335);
    assert.equal(db.lookup(parseIp('2001:4860:4860::8888')!, '2001:4860:4860::8888')?.number, 15169);
  });
});

/**
 * Value types (libevtx "Value types") print as evtx_dump prints them in JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeValue } from './binxml-reader.js';
import { decodeEvtx } from './evtx-decoder.js';
import { buildChunk, buildEvtx, embeddedValue, openDirect, templateInstance } from '../../../test/support/evtx-fixture-builder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const decode = (type: number, data: Buffer): unknown => decodeValue(data, 0, data.length, type);

test('strings lose trailing NULs; ANSI strings are read as Latin-1', () => {
  assert.equal(decode(0x01, Buffer.from('cmd.exe\0', 'utf16le')), 'cmd.exe');
  assert.equal(decode(0x02, Buffer.from('caf\xe9\0', 'latin1')), 'café');
});

test('integers are numbers, hex types are lower-case 0x strings, binary is upper-case hex', () => {
  assert.equal(decode(0x03, hex('ff')), -1);
  assert.equal(decode(0x06, hex('3412')), 0x1234);
  assert.equal(decode(0x07, hex('feffffff')), -2);
  assert.equal(decode(0x0a, hex('0000000000000080')), 2 ** 63);
  assert.equal(decode(0x14, hex('4cc40300')), '0x3c44c');
  assert.equal(decode(0x15, hex('0000000000000080')), '0x8000000000000000');
  assert.equal(decode(0x10, hex('10000000')), '0x10');
  assert.equal(decode(0x0e, hex('00abff')), '00ABFF');
  assert.equal(decode(0x0d, hex('01000000')), true);
  assert.equal(decode(0x0b, hex('cdcccc3d')), 0.1);
});

test('GUIDs are upper-case without braces; SIDs are S-1-… strings', () => {
  assert.equal(decode(0x0f, hex('5f387057 2ac2 e043 bf4c06f5698ffbd9')), '5770385F-C22A-43E0-BF4C-06F5698FFBD9');
  assert.equal(decode(0x13, hex('0101 000000000005 12000000')), 'S-1-5-18');
});

test('FILETIME prints microseconds, SYSTEMTIME milliseconds padded to six digits', () => {
  const ft = Buffer.alloc(8);
  ft.writeBigUInt64LE(116444736000000000n + 1_764_229_210_165_324n * 10n);
  assert.equal(decode(0x11, ft), '2025-11-27T07:40:10.165324Z');
  const st = Buffer.alloc(16);
  [2025, 11, 4, 27, 7, 40, 10, 132].forEach((v, i) => st.writeUInt16LE(v, i * 2));
  assert.equal(decode(0x12, st), '2025-11-27T07:40:10.132000Z');
});

test('arrays (type | 0x80) become JSON arrays', () => {
  assert.deepEqual(decode(0x81, Buffer.from('a\0bc\0', 'utf16le')), ['a', 'bc']);
  assert.deepEqual(decode(0x86, hex('01000200')), [1, 2]);
});

test('embedded BinXML (0x21) becomes child elements, as in UserData', () => {
  const userData = embeddedValue((w) => {
    openDirect(w, 'LogFileCleared').u8(0x02);
    openDirect(w, 'SubjectUserName').u8(0x02).text('alice').end();
    w.end();
  });
  const record = buildChunk(
    [(w) => void templateInstance(w, (b) => b.open('Event', false).closeStart().open('UserData', false).closeStart().sub(0, 0x21).end().end(), [userData])],
    1,
  );
  const { records, damage } = decodeEvtx(buildEvtx([record]));
  assert.deepEqual(damage, []);
  assert.deepEqual(records[0]?.event, { Event: { UserData: { LogFileCleared: { SubjectUserName: 'alice' } } } });
});

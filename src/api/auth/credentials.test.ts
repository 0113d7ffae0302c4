import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCredential } from './credentials.js';

const token = 'vgl_' + 'a'.repeat(43);
const b64 = (text: string) => Buffer.from(text).toString('base64');

test('reads Bearer, Splunk, Basic (any user) and both ApiKey forms', () => {
  for (const header of [
    `Bearer ${token}`,
    `bearer ${token}`,
    `Splunk ${token}`,
    `Basic ${b64(`elastic:${token}`)}`,
    `Basic ${b64(`:${token}`)}`,
    `ApiKey ${b64(`some-id:${token}`)}`,
    `ApiKey ${token}`,
  ]) {
    assert.deepEqual(readCredential(header), { kind: 'token', secret: token }, header);
  }
});

test('a password holding colons is kept whole', () => {
  assert.deepEqual(readCredential(`Basic ${b64('user:pa:ss')}`), { kind: 'token', secret: 'pa:ss' });
});

test('no header is missing; unknown schemes and broken encodings are malformed', () => {
  assert.deepEqual(readCredential(undefined), { kind: 'missing' });
  assert.deepEqual(readCredential('  '), { kind: 'missing' });
  for (const header of ['Digest abc', 'Bearer', `Basic ${b64('no-colon')}`, 'Basic !!!', `Bearer ${token} extra`]) {
    assert.equal(readCredential(header).kind, 'malformed', header);
  }
});

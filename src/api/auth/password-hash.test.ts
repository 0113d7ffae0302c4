import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '../../core/errors.js';
import { PasswordHasher, generatePassword, passwordProblem } from './password-hash.js';

const hasher = new PasswordHasher();

test('a hash is scrypt with its parameters and a fresh salt, and verifies only its password', async () => {
  const one = await hasher.hash('correct horse battery staple');
  const two = await hasher.hash('correct horse battery staple');
  assert.match(one, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(one, two, 'a new salt each time');
  assert.equal(await hasher.verify('correct horse battery staple', one), true);
  assert.equal(await hasher.verify('correct horse battery stapl', one), false);
  assert.equal(await hasher.verify('', one), false);
});

test('unicode passwords are compared in one normal form', async () => {
  const composed = await hasher.hash('pässwörd-12345');
  assert.equal(await hasher.verify('pa\u0308sswo\u0308rd-12345', composed), true);
});

test('a malformed or hostile stored hash never matches and never throws', async () => {
  for (const stored of ['', 'plain', 'scrypt$1$1$1$c2FsdHNhbHQ$aGFzaA', `scrypt$${2 ** 30}$8$1$c2FsdHNhbHQ$${'A'.repeat(43)}`, `scrypt$${2 ** 20}$8$1$c2FsdHNhbHQ$${'A'.repeat(43)}`, `scrypt$32768$8$64$c2FsdHNhbHQ$${'A'.repeat(43)}`, 'bcrypt$2b$10$abc']) {
    assert.equal(await hasher.verify('anything', stored), false, stored);
  }
});

test('hashes made with other parameters still verify and are marked for re-hashing', async () => {
  const old = new PasswordHasher({ params: { N: 2 ** 14, r: 8, p: 1 } });
  const stored = await old.hash('an older password');
  assert.match(stored, /^scrypt\$16384\$/);
  assert.equal(await hasher.verify('an older password', stored), true);
  assert.equal(hasher.needsRehash(stored), true);
  assert.equal(hasher.needsRehash(await hasher.hash('x')), false);
});

test('at most maxConcurrent hashes run at once; past maxWaiting new ones are refused as overloaded', async () => {
  const capped = new PasswordHasher({ maxConcurrent: 2, maxWaiting: 3 });
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, capped.load.running)), 1);
  const five = Array.from({ length: 5 }, (_, i) => capped.hash(`password number ${i}`));
  const sixth = capped.hash('one too many');
  await assert.rejects(sixth, (e: unknown) => isVigilError(e) && e.code === 'overloaded');
  const hashes = await Promise.all(five);
  clearInterval(watch);
  assert.equal(hashes.length, 5);
  assert.ok(peak <= 2, `peak ${peak}`);
  assert.deepEqual(capped.load, { running: 0, waiting: 0 });
});

test('the event loop keeps turning while passwords are hashed', async () => {
  let ticks = 0;
  const tick = setInterval(() => ticks++, 5);
  await Promise.all(Array.from({ length: 4 }, (_, i) => hasher.hash(`loop ${i}`)));
  clearInterval(tick);
  assert.ok(ticks >= 5, `${ticks} ticks while hashing`);
});

test('generated passwords are long and random; new passwords need 12 characters', () => {
  const a = generatePassword();
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a, generatePassword());
  assert.equal(passwordProblem(a), undefined);
  assert.match(passwordProblem('elevenchars') ?? '', /at least 12/);
  assert.match(passwordProblem('            ') ?? '', /spaces/);
  assert.match(passwordProblem('x'.repeat(1025)) ?? '', /at most 1024/);
});

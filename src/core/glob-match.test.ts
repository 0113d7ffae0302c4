import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches } from './glob-match.js';

describe('globMatches', () => {
  it('matches * as any run, ? as one character, the rest literally, over the whole text', () => {
    assert.ok(globMatches('sigma/*', 'sigma/a/b'));
    assert.ok(globMatches('*', ''));
    assert.ok(globMatches('a?c', 'abc'));
    assert.ok(!globMatches('a?c', 'ac'));
    assert.ok(globMatches('*.log', 'x.log'));
    assert.ok(!globMatches('*.log', 'x.log.1'));
    assert.ok(globMatches('a.+(b)[c]$', 'a.+(b)[c]$'), 'regex characters are literal');
    assert.ok(!globMatches('a.c', 'abc'));
    assert.ok(globMatches('*a*b*', 'xxaxxbxx'));
    assert.ok(!globMatches('*a*b*', 'xxbxxaxx'));
    assert.ok(globMatches('日?', '日本'), 'characters, not UTF-16 units');
  });

  it('is case-insensitive on request only', () => {
    assert.ok(globMatches('ATTACK.T1*', 'attack.t1059', { caseInsensitive: true }));
    assert.ok(!globMatches('ATTACK.T1*', 'attack.t1059'));
  });

  it('runs in linear-ish time where a backtracking RegExp would stall', () => {
    const text = 'a'.repeat(20_000);
    const started = performance.now();
    assert.ok(!globMatches('*a*a*a*a*a*a*a*a*b', text));
    assert.ok(globMatches('*a*a*a*a*a*a*a*a*', text));
    assert.ok(performance.now() - started < 1000);
  });
});

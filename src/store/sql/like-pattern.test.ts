import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLike, globToContainsLike, globToLike, isLinearLike, likeToRegex } from './like-pattern.js';

describe('LIKE patterns from globs', () => {
  it('escapes LIKE metacharacters in literal text', () => {
    assert.equal(escapeLike('50%_off\\now'), '50\\%\\_off\\\\now');
    assert.equal(escapeLike("plain 'text'"), "plain 'text'");
  });

  it('turns * into % and ? into _', () => {
    assert.equal(globToLike('web-*'), 'web-%');
    assert.equal(globToLike('w?b*x'), 'w_b%x');
  });

  it('keeps escaped glob characters literal', () => {
    assert.equal(globToLike('a\\*b*'), 'a*b%');
    assert.equal(globToLike('a\\?'), 'a?');
    assert.equal(globToLike('C:\\\\x*'), 'C:\\\\x%');
  });

  it('escapes LIKE metacharacters that are literal in the glob', () => {
    assert.equal(globToLike('5?%'), '5_\\%');
    assert.equal(globToLike('a_*'), 'a\\_%');
    assert.equal(globToLike('\\%'), '\\%');
  });

  it('reads a trailing lone backslash as a literal backslash', () => {
    assert.equal(globToLike('dir\\'), 'dir\\\\');
  });

  it('wraps free-text globs in % on both sides', () => {
    assert.equal(globToContainsLike('fail*ed'), '%fail%ed%');
  });

  it('keeps LIKE only for shapes DuckDB runs in linear time', () => {
    for (const p of ['abc', 'abc%', '%abc', '%abc%', '%fail%%', '%']) assert.ok(isLinearLike(p), p);
    for (const p of ['%a%b', 'a%b', 'a_b', '%a\\%b%', '%a%a%a%b']) assert.ok(!isLinearLike(p), p);
  });

  it('turns any other LIKE pattern into an RE2 whole-text expression, metacharacters literal', () => {
    assert.equal(likeToRegex('%a%b'), '(?s).*a.*b');
    assert.equal(likeToRegex('a_b\\%c\\_'), '(?s)a.b%c_');
    assert.equal(likeToRegex('x.+(y)[z]{1}|^$\\\\'), '(?s)x\\.\\+\\(y\\)\\[z\\]\\{1\\}\\|\\^\\$\\\\');
  });
});

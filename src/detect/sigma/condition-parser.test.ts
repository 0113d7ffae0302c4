import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConditionReferenceError,
  ConditionSyntaxError,
  formatCondition,
  parseCondition,
  parseConditions,
  patternMatches,
  resolveCondition,
} from './condition-parser.js';

const show = (text: string) => formatCondition(parseCondition(text));
const resolved = (text: string, ids: string[]) => formatCondition(resolveCondition(parseCondition(text), ids));

function syntaxError(text: string): ConditionSyntaxError {
  try {
    parseCondition(text);
  } catch (err) {
    assert.ok(err instanceof ConditionSyntaxError, `expected a ConditionSyntaxError, got ${String(err)}`);
    return err;
  }
  assert.fail(`'${text}' parsed`);
}

describe('Sigma condition grammar', () => {
  describe('the specification examples', () => {
    it('logical AND/OR: keywords1 or keywords2', () => {
      assert.equal(show('keywords1 or keywords2'), '(keywords1 or keywords2)');
    });
    it('1 of search-identifier-pattern combined with an identifier: 1 of selection* and keywords', () => {
      assert.equal(show('1 of selection* and keywords'), '(1 of selection* and keywords)');
    });
    it('negated pattern: 1 of selection* and not 1 of filter*', () => {
      assert.equal(show('1 of selection* and not 1 of filter*'), '(1 of selection* and not 1 of filter*)');
    });
    it('negation with not: keywords and not filters', () => {
      assert.equal(show('keywords and not filters'), '(keywords and not filters)');
    });
    it('brackets: selection1 and (keywords1 or keywords2)', () => {
      assert.equal(show('selection1 and (keywords1 or keywords2)'), '(selection1 and (keywords1 or keywords2))');
    });
    it('all of them and 1 of them', () => {
      assert.deepEqual(parseCondition('all of them'), { kind: 'of', quantifier: 'all', target: 'them', column: 1 });
      assert.deepEqual(parseCondition('1 of them'), { kind: 'of', quantifier: 'one', target: 'them', column: 1 });
    });
  });

  describe('precedence, loosest to tightest: or < and < not < x of < ( )', () => {
    it('and binds tighter than or', () => {
      assert.equal(show('a or b and c'), '(a or (b and c))');
      assert.equal(show('a and b or c'), '((a and b) or c)');
    });
    it('not binds tighter than and', () => {
      assert.equal(show('not a and b'), '(not a and b)');
      assert.equal(show('a and not b or c'), '((a and not b) or c)');
    });
    it('x of binds tighter than not', () => {
      assert.deepEqual(parseCondition('not 1 of filter*'), { kind: 'not', operand: { kind: 'of', quantifier: 'one', target: 'filter*', column: 5 } });
    });
    it('parentheses override precedence and may nest', () => {
      assert.equal(show('(a or b) and c'), '((a or b) and c)');
      assert.equal(show('not (a or (b and not c))'), 'not (a or (b and not c))');
    });
    it('chains of the same operator are flat', () => {
      assert.equal(show('a and b and c and d'), '(a and b and c and d)');
      assert.equal(show('a or b or c'), '(a or b or c)');
    });
    it('double negation is kept as written', () => {
      assert.equal(show('not not a'), 'not not a');
    });
  });

  describe('words', () => {
    it('reads keywords in any case, identifiers exactly', () => {
      assert.equal(show('Sel AND NOT Filter OR 1 OF Sel* Or ALL of Them'), '((Sel and not Filter) or 1 of Sel* or all of them)');
    });
    it("accepts 'any of' as '1 of', as pySigma does", () => {
      assert.deepEqual(parseCondition('any of sel*'), { kind: 'of', quantifier: 'one', target: 'sel*', column: 1 });
    });
    it("identifiers may contain '-', '.' and digits; whitespace and newlines separate tokens", () => {
      assert.equal(show('sel-1\n  and\tfilter.main_2'), '(sel-1 and filter.main_2)');
    });
    it('a list of conditions is OR-ed', () => {
      assert.equal(formatCondition(parseConditions(['a and b', 'c'])), '((a and b) or c)');
      assert.equal(formatCondition(parseConditions(['a'])), 'a');
    });
  });

  describe('errors name the problem and its 1-based column', () => {
    const cases: [string, RegExp, number][] = [
      ['', /the condition is empty/, 1],
      ['selection and', /expected an identifier.*found the end of the condition/, 14],
      ['selection or or filter', /found 'or'/, 14],
      ['(selection and filter', /expected '\)' to close the '\(' at column 1/, 22],
      ['selection and filter)', /unbalanced '\)'/, 21],
      ['selection filter', /expected 'and', 'or' or the end of the condition, found 'filter'/, 11],
      ['2 of selection*', /only '1 of' and 'all of' are defined/, 1],
      ['selection*', /needs '1 of' or 'all of' before it/, 1],
      ['them', /'them' can only follow '1 of' or 'all of'/, 1],
      ['1 of', /expected 'them' or a search identifier pattern after 'of'/, 5],
      ['of them', /'of' needs '1' or 'all' before it/, 1],
      ['selection | count() > 5', /aggregation expressions .* correlation rule/, 11],
      ['selection and $filter', /unexpected character '\$'/, 15],
      ['()', /empty parentheses/, 2],
    ];
    for (const [text, message, column] of cases) {
      it(`'${text}' → ${message.source}`, () => {
        const err = syntaxError(text);
        assert.match(err.detail, message);
        assert.equal(err.column, column);
        assert.match(err.message, new RegExp(`at column ${column}`));
      });
    }
  });

  describe('resolution against the detection', () => {
    const ids = ['selection_img', 'selection_cli', 'filter_main', 'filter_optional', '_helper'];
    it("'1 of pattern' becomes an OR and 'all of pattern' an AND of the matching identifiers, in definition order", () => {
      assert.equal(resolved('all of selection_* and not 1 of filter_*', ids), '((selection_img and selection_cli) and not (filter_main or filter_optional))');
    });
    it("'them' is every identifier not starting with '_'", () => {
      assert.equal(resolved('1 of them', ids), '(selection_img or selection_cli or filter_main or filter_optional)');
    });
    it('a pattern matching one identifier becomes that identifier', () => {
      assert.equal(resolved('all of filter_m*', ids), 'filter_main');
    });
    it('patterns match whole names, with * anywhere', () => {
      assert.equal(patternMatches('sel', 'selection'), false);
      assert.equal(patternMatches('sel*', 'selection'), true);
      assert.equal(patternMatches('*tion', 'selection'), true);
      assert.equal(patternMatches('s*l*n', 'selection'), true);
      assert.equal(patternMatches('s*x*n', 'selection'), false);
      assert.equal(patternMatches('*', '_hidden'), true);
      assert.equal(patternMatches('them', '_hidden'), false);
    });
    it('an unknown identifier is reported with the defined ones and the likely intended one', () => {
      assert.throws(
        () => resolveCondition(parseCondition('selectoin and not filter'), ['selection', 'filter']),
        (err: unknown) =>
          err instanceof ConditionReferenceError &&
          err.message === "unknown identifier 'selectoin' (did you mean 'selection'?) (defined: selection, filter)",
      );
    });
    it('a pattern that matches nothing is an error', () => {
      assert.throws(() => resolveCondition(parseCondition('1 of filter*'), ['selection']), /the pattern 'filter\*' matches no search identifier \(defined: selection\)/);
    });
  });
});

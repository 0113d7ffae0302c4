import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../core/errors.js';
import type { QueryNode } from '../core/query.js';
import { parseQuery, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH } from './query-parser.js';

const field = (f: string, value: string, wildcard = false, quoted = false): QueryNode => ({
  kind: 'field',
  field: f,
  value,
  wildcard,
  quoted,
});
const text = (t: string, wildcard = false, quoted = false): QueryNode => ({ kind: 'text', text: t, wildcard, quoted });
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });
const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });

/** Asserts a query-invalid error whose message mentions `hint` and whose where is the column. */
function assertInvalid(query: string, hint: RegExp, column?: number): void {
  assert.throws(
    () => parseQuery(query),
    (e: unknown) => {
      assert.ok(e instanceof VigilError, `expected VigilError, got ${String(e)}`);
      assert.equal(e.code, 'query-invalid');
      assert.match(e.message, hint);
      if (column !== undefined) assert.equal(e.where, `query column ${column}`);
      return true;
    },
  );
}

describe('parseQuery: terms', () => {
  it('reads the empty and whitespace-only query as "all events"', () => {
    assert.deepEqual(parseQuery(''), { kind: 'all' });
    assert.deepEqual(parseQuery('   \t\n'), { kind: 'all' });
  });

  it('reads field:value with dotted ECS names', () => {
    assert.deepEqual(parseQuery('host.name:web-01'), field('host.name', 'web-01'));
    assert.deepEqual(parseQuery('@timestamp:x'), field('@timestamp', 'x'));
    assert.deepEqual(parseQuery('source.ip:10.0.0.1'), field('source.ip', '10.0.0.1'));
    assert.deepEqual(parseQuery('winlog.event_id:4625'), field('winlog.event_id', '4625'));
  });

  it('keeps colons after the first one in the value (IPv6, URLs, Windows paths)', () => {
    assert.deepEqual(parseQuery('source.ip:fe80::1'), field('source.ip', 'fe80::1'));
    assert.deepEqual(parseQuery('url.full:http://x/y'), field('url.full', 'http://x/y'));
    assert.deepEqual(
      parseQuery('process.executable:C:\\Windows\\System32\\cmd.exe'),
      field('process.executable', 'C:\\Windows\\System32\\cmd.exe'),
    );
  });

  it('reads a quoted field value as an exact phrase without wildcards', () => {
    assert.deepEqual(parseQuery('user.name:"John Smith"'), field('user.name', 'John Smith', false, true));
    assert.deepEqual(parseQuery('file.name:"a*b?"'), field('file.name', 'a*b?', false, true));
    assert.deepEqual(parseQuery('x:""'), field('x', '', false, true));
  });

  it('marks wildcard values and keeps them as globs with escaped literals', () => {
    assert.deepEqual(parseQuery('host.name:web*'), field('host.name', 'web*', true));
    assert.deepEqual(parseQuery('host.name:w?b'), field('host.name', 'w?b', true));
    // `\*` is a literal star: in a glob it stays escaped, next to a real wildcard.
    assert.deepEqual(parseQuery('file.name:a\\*b*'), field('file.name', 'a\\*b*', true));
    // Without a wildcard the value is plain text.
    assert.deepEqual(parseQuery('file.name:a\\*b'), field('file.name', 'a*b'));
  });

  it('escapes a literal backslash in a glob so it cannot swallow the next wildcard', () => {
    assert.deepEqual(parseQuery('path:C:\\\\x*'), field('path', 'C:\\\\x*', true));
    assert.deepEqual(parseQuery('path:C:\\\\x'), field('path', 'C:\\x'));
  });

  it('reads field:* as "the field is present"', () => {
    assert.deepEqual(parseQuery('user.name:*'), { kind: 'exists', field: 'user.name' });
    assert.deepEqual(parseQuery('user.name:\\*'), field('user.name', '*'));
    assert.deepEqual(parseQuery('user.name:"*"'), field('user.name', '*', false, true));
  });

  it('reads bare words and quoted phrases as free text', () => {
    assert.deepEqual(parseQuery('failed'), text('failed'));
    assert.deepEqual(parseQuery('"failed password"'), text('failed password', false, true));
    assert.deepEqual(parseQuery('pass*'), text('pass*', true));
    assert.deepEqual(parseQuery('"say \\"hi\\" \\\\ now"'), text('say "hi" \\ now', false, true));
  });

  it('reads a lone * as "all events"', () => {
    assert.deepEqual(parseQuery('*'), { kind: 'all' });
  });

  it('lets escapes turn operators and specials into text', () => {
    assert.deepEqual(parseQuery('"AND"'), text('AND', false, true));
    // A backslash before a letter is literal (Windows paths), so it does not make AND a word.
    assert.deepEqual(parseQuery('\\AND'), text('\\AND'));
    assert.deepEqual(parseQuery('a\\:b'), text('a:b'));
    assert.deepEqual(parseQuery('\\-5'), text('-5'));
    assert.deepEqual(parseQuery('a\\ b'), text('a b'));
    assert.deepEqual(parseQuery('\\(x\\)'), text('(x)'));
  });

  it('treats lower-case and/or/not as words, not operators', () => {
    assert.deepEqual(parseQuery('cats and dogs'), and(text('cats'), text('and'), text('dogs')));
  });

  it('keeps a minus inside a value literal', () => {
    assert.deepEqual(parseQuery('delta:-5'), field('delta', '-5'));
    assert.deepEqual(parseQuery('a-b'), text('a-b'));
  });
});

describe('parseQuery: operators', () => {
  it('ANDs adjacent terms', () => {
    assert.deepEqual(parseQuery('a b c'), and(text('a'), text('b'), text('c')));
  });

  it('accepts AND/&&, OR/||, NOT/!/- spellings', () => {
    assert.deepEqual(parseQuery('a AND b'), parseQuery('a && b'));
    assert.deepEqual(parseQuery('a OR b'), parseQuery('a || b'));
    assert.deepEqual(parseQuery('NOT a'), not(text('a')));
    assert.deepEqual(parseQuery('!a'), not(text('a')));
    assert.deepEqual(parseQuery('! a'), not(text('a')));
    assert.deepEqual(parseQuery('-host.name:x'), not(field('host.name', 'x')));
    assert.deepEqual(parseQuery('-"a b"'), not(text('a b', false, true)));
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    assert.deepEqual(parseQuery('a OR b AND c'), or(text('a'), and(text('b'), text('c'))));
    assert.deepEqual(parseQuery('a AND b OR c'), or(and(text('a'), text('b')), text('c')));
    assert.deepEqual(parseQuery('NOT a AND b'), and(not(text('a')), text('b')));
    assert.deepEqual(parseQuery('a b OR c'), or(and(text('a'), text('b')), text('c')));
  });

  it('groups with parentheses and flattens same-operator chains', () => {
    assert.deepEqual(parseQuery('(a OR b) AND c'), and(or(text('a'), text('b')), text('c')));
    assert.deepEqual(parseQuery('-(a OR b)'), not(or(text('a'), text('b'))));
    assert.deepEqual(parseQuery('a OR (b OR c)'), or(text('a'), text('b'), text('c')));
    assert.deepEqual(parseQuery('((a))'), text('a'));
    assert.deepEqual(parseQuery('(a)(b)'), and(text('a'), text('b')));
  });

  it('parses a realistic SOC query', () => {
    assert.deepEqual(
      parseQuery('event.action:ssh_login AND event.outcome:failure AND NOT (source.ip:10.* OR user.name:svc_*)'),
      and(
        field('event.action', 'ssh_login'),
        field('event.outcome', 'failure'),
        not(or(field('source.ip', '10.*', true), field('user.name', 'svc_*', true))),
      ),
    );
  });
});

describe('parseQuery: errors say what to write instead', () => {
  it('reports a ) without (', () => assertInvalid('a)', /unbalanced parenthesis.*"\)" at column 2/, 2));
  it('reports a ( at the very end', () => assertInvalid('a t(', /unbalanced parenthesis.*"\(" at column 4 is never closed/, 4));
  it('reports a ( that is never closed', () => assertInvalid('(a OR b', /"\(" at column 1 is never closed; add a "\)"/, 1));
  it('reports empty parentheses', () => assertInvalid('a ()', /empty parentheses/, 3));
  it('reports a dangling AND at the end', () => assertInvalid('a AND', /"AND" at column 3 needs a term after it.*ends/, 3));
  it('reports an operator with nothing before it', () => assertInvalid('OR a', /"OR" at column 1 needs a term before it/, 1));
  it('reports an operator right after "("', () => assertInvalid('(AND a)', /"AND" at column 2 needs a term before it/, 2));
  it('reports two operators in a row', () => assertInvalid('a AND OR b', /"AND" at column 3 needs a term after it, but "OR" follows/, 3));
  it('reports a dangling NOT', () => assertInvalid('a NOT', /"NOT" at column 3 needs a term after it/, 3));
  it('reports a lone dash', () => assertInvalid('a - b', /"-" at column 3 must be directly followed/, 3));
  it('reports an unterminated quote', () => assertInvalid('msg:"abc', /unterminated quote: the " at column 5/, 5));
  it('reports a field without a value', () => assertInvalid('host.name: x', /host\.name: at column 1 has no value; write host\.name:value/, 1));
  it('reports a colon without a field', () => assertInvalid(':x', /no field name before it/, 1));
  it('reports an invalid field name', () => assertInvalid('a/b:c', /"a\/b" at column 1 is not a field name/, 1));
  it('reports a quote in the middle of a word', () => assertInvalid('ab"c"', /quote in the middle of a word/, 3));
  it('reports text glued to a closing quote', () => assertInvalid('"a"b', /right after the closing quote/, 4));
  it('reports grouped field values as unsupported', () => assertInvalid('h:(a OR b)', /write \(h:a OR h:b\)/));

  it('refuses queries over the length limit', () => {
    assert.doesNotThrow(() => parseQuery('a'.repeat(MAX_QUERY_LENGTH)));
    assertInvalid('a'.repeat(MAX_QUERY_LENGTH + 1), /limit is 4096/);
  });

  it('refuses nesting deeper than the limit', () => {
    const ok = '('.repeat(MAX_QUERY_DEPTH) + 'a' + ')'.repeat(MAX_QUERY_DEPTH);
    assert.deepEqual(parseQuery(ok), text('a'));
    assertInvalid('(' + ok + ')', /nests more than 64 levels/);
    assertInvalid('!'.repeat(MAX_QUERY_DEPTH + 1) + 'a', /nests more than 64 levels/);
  });
});

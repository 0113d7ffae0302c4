/**
 * The `condition` of a Sigma correlation: a map of comparisons (`gte: 10`, or two keys for a
 * range) as Sigma v2.1.0 defines it, or, for the temporal types only, a boolean expression over
 * the referenced rules (`recon_a and recon_b`) as the v2.2 draft schema and the specification's
 * test files write it. Parsing reports problems as plain strings; correlation-rule.ts puts the
 * place in front of them.
 */

export type ComparisonOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
export const COMPARISON_OPS: readonly ComparisonOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

export interface Comparison {
  readonly op: ComparisonOp;
  readonly value: number;
}

/** Boolean expression over rule references (names or ids listed in `correlation.rules`). */
export type RuleExpression =
  | { readonly op: 'rule'; readonly ref: string }
  | { readonly op: 'not'; readonly operand: RuleExpression }
  | { readonly op: 'and' | 'or'; readonly operands: readonly RuleExpression[] };

export type CorrelationCondition =
  | { readonly kind: 'compare'; readonly comparisons: readonly Comparison[] }
  | { readonly kind: 'expression'; readonly text: string; readonly expression: RuleExpression };

/** `(x) => every comparison holds for x`, compiled once per rule. */
export function compileComparisons(comparisons: readonly Comparison[]): (x: number) => boolean {
  const tests = comparisons.map(compileOne);
  if (tests.length === 1) return tests[0]!;
  const [a, b] = tests as [(x: number) => boolean, (x: number) => boolean];
  return (x) => a(x) && b(x);
}

function compileOne({ op, value }: Comparison): (x: number) => boolean {
  switch (op) {
    case 'gt': return (x) => x > value;
    case 'gte': return (x) => x >= value;
    case 'lt': return (x) => x < value;
    case 'lte': return (x) => x <= value;
    case 'eq': return (x) => x === value;
    case 'neq': return (x) => x !== value;
  }
}

/** True when only lower bounds (`gt`, `gte`) are given: growing the aggregate can only make it hold. */
export function isLowerBoundOnly(comparisons: readonly Comparison[]): boolean {
  return comparisons.every((c) => c.op === 'gt' || c.op === 'gte');
}

/** The smallest whole count that satisfies a lower-bound-only condition (`gte 5` → 5, `gt 5` → 6). */
export function smallestCount(comparisons: readonly Comparison[]): number {
  let n = 0;
  for (const c of comparisons) {
    const need = c.op === 'gte' ? Math.ceil(c.value) : Math.floor(c.value) + 1;
    if (need > n) n = need;
  }
  return n;
}

/** Problems with a set of comparisons as a whole (two lower bounds, an empty range…). */
export function checkComparisons(comparisons: readonly Comparison[]): string | undefined {
  if (comparisons.length === 0) return 'needs a comparison: one of gt, gte, lt, lte, eq, neq (e.g. gte: 10)';
  if (comparisons.length > 2) return 'takes one comparison, or two for a range (e.g. gt: 100 and lte: 200)';
  if (comparisons.length === 1) return undefined;
  const [a, b] = comparisons as [Comparison, Comparison];
  const lower = (c: Comparison) => c.op === 'gt' || c.op === 'gte';
  const upper = (c: Comparison) => c.op === 'lt' || c.op === 'lte';
  if (!((lower(a) && upper(b)) || (upper(a) && lower(b)))) {
    return `'${a.op}' with '${b.op}' is not a range (a range is one of gt/gte with one of lt/lte)`;
  }
  const lo = lower(a) ? a : b;
  const hi = lower(a) ? b : a;
  const empty = lo.value > hi.value || (lo.value === hi.value && (lo.op === 'gt' || hi.op === 'lt'));
  if (empty) return `the range ${lo.op} ${lo.value} and ${hi.op} ${hi.value} contains no value`;
  return undefined;
}

/** Rule references an expression mentions, in first-use order. */
export function expressionRefs(e: RuleExpression, out: string[] = []): string[] {
  if (e.op === 'rule') {
    if (!out.includes(e.ref)) out.push(e.ref);
  } else if (e.op === 'not') expressionRefs(e.operand, out);
  else for (const o of e.operands) expressionRefs(o, out);
  return out;
}

export function expressionHasNot(e: RuleExpression): boolean {
  if (e.op === 'rule') return false;
  if (e.op === 'not') return true;
  return e.operands.some(expressionHasNot);
}

/** The references of a pure conjunction (`a and b and c`), or undefined when it is anything else. */
export function conjunctionRefs(e: RuleExpression): string[] | undefined {
  if (e.op === 'rule') return [e.ref];
  if (e.op !== 'and') return undefined;
  const out: string[] = [];
  for (const o of e.operands) {
    const refs = conjunctionRefs(o);
    if (refs === undefined) return undefined;
    out.push(...refs);
  }
  return out;
}

/**
 * Parses `a and (b or not c)`: operators `and`, `or`, `not` (any case), parentheses, and rule
 * references (anything else without spaces or parentheses). Precedence not > and > or.
 * Throws an Error whose message says what is wrong and where.
 */
export function parseRuleExpression(text: string): RuleExpression {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const keyword = (t: string | undefined, k: string) => t !== undefined && t.toLowerCase() === k;
  const fail = (what: string): never => {
    throw new Error(`${what} in '${text}'`);
  };

  const parseOr = (): RuleExpression => {
    const operands = [parseAnd()];
    while (keyword(peek(), 'or')) {
      i++;
      operands.push(parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { op: 'or', operands };
  };
  const parseAnd = (): RuleExpression => {
    const operands = [parseNot()];
    while (keyword(peek(), 'and')) {
      i++;
      operands.push(parseNot());
    }
    return operands.length === 1 ? operands[0]! : { op: 'and', operands };
  };
  const parseNot = (): RuleExpression => {
    if (keyword(peek(), 'not')) {
      i++;
      return { op: 'not', operand: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): RuleExpression => {
    const t = tokens[i++];
    if (t === undefined) return fail('the expression ends too early');
    if (t === '(') {
      const inner = parseOr();
      if (tokens[i++] !== ')') fail("a '(' is not closed");
      return inner;
    }
    if (t === ')' || keyword(t, 'and') || keyword(t, 'or')) return fail(`'${t}' where a rule name was expected`);
    return { op: 'rule', ref: t };
  };

  if (tokens.length === 0) fail('an empty expression');
  const expression = parseOr();
  if (i < tokens.length) fail(`unexpected '${tokens[i]}'`);
  return expression;
}

/**
 * How one correlation rule is evaluated, decided once when the engine is built: which window
 * state a group keeps, what a match contributes (nothing, a text key or a number), how the
 * condition is tested, and whether windows slide or close.
 *
 * Sliding windows are tested at every match, over the matches of the last `timespan` (the
 * specification asks for windows "not restricted to boundaries"). That is right whenever more
 * matches can only help: counts, distinct counts and sums with lower bounds (`gte`, `gt`), and
 * temporal conditions without `not`. Averages and percentiles are also tested at every match,
 * on the window as it stands then.
 *
 * A condition with an upper bound on something that only grows (`event_count lt 5`, `eq 3`,
 * a range, `a and not b`) cannot be decided while matches may still come: tested at every
 * match, `lt 5` would hold at the first one. Such windows close instead: a window opens at a
 * group's first match, spans `timespan`, and is tested once when event time passes its end
 * (or at `flush()`).
 */
import {
  compileComparisons,
  conjunctionRefs,
  expressionHasNot,
  isLowerBoundOnly,
  smallestCount,
  type RuleExpression,
} from './correlation-condition.js';
import type { CorrelationRule } from './correlation-rule.js';
import {
  CountWindow,
  DistinctWindow,
  NumericWindow,
  OrderedWindow,
  ShareWindow,
  TemporalWindow,
  Total,
  type Aggregate,
  type DropCounter,
} from './window-aggregates.js';

export interface EvaluationPlan {
  readonly sliding: boolean;
  /** What a match must carry besides its group: nothing, its `field` value as text, or as a number. */
  readonly input: 'none' | 'key' | 'num';
  readonly newAggregate: (drops: DropCounter) => Aggregate;
  readonly test: (a: Aggregate) => boolean;
}

export function planFor(rule: CorrelationRule, maxEntries: number): EvaluationPlan {
  const c = rule.correlation;
  const condition = c.condition;
  const cmp = condition?.kind === 'compare' ? condition.comparisons : undefined;
  const compare = cmp ? compileComparisons(cmp) : undefined;
  const testValue = (a: Aggregate) => {
    const v = a.value();
    return v === v && compare!(v); // NaN (an empty average) never satisfies a condition
  };
  const rising = cmp === undefined || isLowerBoundOnly(cmp);

  switch (c.type) {
    case 'event_count':
      return rising
        ? { sliding: true, input: 'none', newAggregate: () => new CountWindow(smallestCount(cmp!)), test: testValue }
        : { sliding: false, input: 'none', newAggregate: () => new Total(false), test: testValue };
    case 'value_count':
      return { sliding: rising, input: 'key', newAggregate: (d) => new DistinctWindow(maxEntries, d), test: testValue };
    case 'value_sum':
      return rising
        ? { sliding: true, input: 'num', newAggregate: (d) => new NumericWindow('sum', 0, maxEntries, d), test: testValue }
        : { sliding: false, input: 'num', newAggregate: () => new Total(true), test: testValue };
    case 'value_avg':
      return { sliding: true, input: 'num', newAggregate: (d) => new NumericWindow('avg', 0, maxEntries, d), test: testValue };
    case 'value_percentile': {
      const p = c.percentile;
      return p === undefined
        ? { sliding: true, input: 'key', newAggregate: (d) => new ShareWindow(maxEntries, d), test: testValue }
        : { sliding: true, input: 'num', newAggregate: (d) => new NumericWindow('percentile', p, maxEntries, d), test: testValue };
    }
    case 'temporal': {
      const k = c.rules.length;
      const newAggregate = () => new TemporalWindow(k);
      if (condition === undefined) return { sliding: true, input: 'none', newAggregate, test: (a) => a.value() === k };
      if (condition.kind === 'compare') return { sliding: rising, input: 'none', newAggregate, test: testValue };
      const expr = compileExpression(condition.expression, c.rules);
      return { sliding: !expressionHasNot(condition.expression), input: 'none', newAggregate, test: expr };
    }
    case 'temporal_ordered': {
      // The steps of the sequence: every rule, or those a conjunction condition names, in `rules` order.
      const named = condition?.kind === 'expression' ? conjunctionRefs(condition.expression)! : c.rules;
      const stepOf = new Int32Array(c.rules.length).fill(-1);
      let steps = 0;
      c.rules.forEach((ref, position) => {
        if (named.includes(ref)) stepOf[position] = steps++;
      });
      const newAggregate = () => new OrderedWindow(stepOf, steps);
      if (condition?.kind === 'compare') return { sliding: rising, input: 'none', newAggregate, test: testValue };
      return { sliding: true, input: 'none', newAggregate, test: (a) => a.value() === steps };
    }
  }
}

function compileExpression(e: RuleExpression, rules: readonly string[]): (a: Aggregate) => boolean {
  switch (e.op) {
    case 'rule': {
      const position = rules.indexOf(e.ref);
      return (a) => a.has(position);
    }
    case 'not': {
      const inner = compileExpression(e.operand, rules);
      return (a) => !inner(a);
    }
    case 'and': {
      const parts = e.operands.map((o) => compileExpression(o, rules));
      return (a) => parts.every((p) => p(a));
    }
    case 'or': {
      const parts = e.operands.map((o) => compileExpression(o, rules));
      return (a) => parts.some((p) => p(a));
    }
  }
}

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Event, FieldValue } from '../../core/event.js';
import type { RuleEvent, RuleMeta } from '../sigma/sigma-types.js';
import { correlationMatch, scalar } from './correlation-input.js';

describe('correlationMatch', () => {
  it('reads time, event id and fields (by the rule names) from the RuleEvent', () => {
    const fields: Record<string, FieldValue> = { TargetUserName: 'bob', LogonType: 3, Elevated: true, Empty: null, Ips: ['10.0.0.1', '10.0.0.2'] };
    const event = { id: 'ev-1', time: 1_700_000_000_000 } as Event;
    const ruleEvent: RuleEvent = {
      event,
      value: (f) => fields[f],
      lowered: () => undefined,
      keywordTexts: () => [],
    };
    const rule = { id: 'r1', name: 'failed_login', level: 'low' } as RuleMeta;
    const m = correlationMatch(rule, ruleEvent);
    assert.equal(m.rule, rule);
    assert.equal(m.time, 1_700_000_000_000);
    assert.equal(m.eventId, 'ev-1');
    assert.deepEqual(
      ['TargetUserName', 'LogonType', 'Elevated', 'Empty', 'Ips', 'Missing'].map((f) => m.field(f)),
      ['bob', 3, 'true', undefined, '10.0.0.1,10.0.0.2', undefined],
    );
  });

  it('scalar keeps texts and numbers, and makes lists comparable as a whole', () => {
    assert.equal(scalar('x'), 'x');
    assert.equal(scalar(0), 0);
    assert.equal(scalar([1, null, 'a']), '1,,a');
  });
});

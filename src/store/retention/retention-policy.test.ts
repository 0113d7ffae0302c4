import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../core/config.js';
import { isVigilError } from '../../core/errors.js';
import { governingRule, retentionRequests } from './retention-policy.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);

function policy(retention: unknown) {
  return parseConfig({ retention }).retention;
}

describe('retention policy', () => {
  it('keeps everything forever by default: no deletion at all', () => {
    const p = policy(undefined);
    assert.equal(p.defaultDays, 0);
    assert.equal(p.intervalMinutes, 60);
    assert.deepEqual(retentionRequests(p, NOW), []);
  });

  it('turns each limited rule into one deletion, with the rules that outrank it as exceptions', () => {
    const p = policy({ defaultDays: 90, rules: [{ tenant: 'acme', days: 30 }, { sourceKind: 'file', days: 7 }, { tenant: 'acme', sourceKind: 'file', days: 0 }] });
    const requests = retentionRequests(p, NOW);
    assert.deepEqual(
      requests.map((r) => [r.rule, r.cutoff, r.except.length]),
      [
        ['default', NOW - 90 * DAY, 3],
        ['tenant=acme', NOW - 30 * DAY, 1],
        ['sourceKind=file', NOW - 7 * DAY, 2],
      ],
    );
    // The 0-day rule keeps acme's files forever, also from the less specific rules.
    assert.deepEqual(requests[1]?.except, [{ tenant: 'acme', sourceKind: 'file' }]);
    assert.deepEqual(requests[2]?.except, [{ tenant: 'acme' }, { tenant: 'acme', sourceKind: 'file' }]);
  });

  it('lets a tenant outweigh a source kind, and a source kind a format', () => {
    const p = policy({ defaultDays: 90, rules: [{ tenant: 'acme', days: 30 }, { sourceKind: 'file', days: 7 }, { format: 'json', days: 3 }, { sourceKind: 'file', format: 'json', days: 14 }] });
    assert.equal(governingRule(p, { tenant: 'acme', sourceKind: 'file', format: 'json' }).days, 30);
    assert.equal(governingRule(p, { tenant: 'other', sourceKind: 'file', format: 'json' }).days, 14);
    assert.equal(governingRule(p, { tenant: 'other', sourceKind: 'file', format: 'raw' }).days, 7);
    assert.equal(governingRule(p, { tenant: 'other', sourceKind: 'syslog-udp', format: 'json' }).days, 3);
    assert.equal(governingRule(p, { tenant: 'other', sourceKind: 'syslog-udp', format: 'raw' }).days, 90);
  });

  it('refuses a rule without a selector, duplicates, unknown source kinds and intervals over an hour', () => {
    for (const bad of [{ rules: [{ days: 3 }] }, { rules: [{ tenant: 'a', days: 3 }, { tenant: 'a', days: 4 }] }, { rules: [{ sourceKind: 'syslog', days: 3 }] }, { intervalMinutes: 61 }, { defaultDays: -1 }]) {
      assert.throws(() => policy(bad), (e: unknown) => isVigilError(e) && e.code === 'config-invalid' && /retention/.test(e.message), JSON.stringify(bad));
    }
  });
});

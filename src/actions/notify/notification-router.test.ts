import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { testAlert } from './alert-fixture.test-support.js';
import { NotificationRouter } from './notification-router.js';

const router = new NotificationRouter([
  { destinations: ['pager'], minLevel: 'critical', rules: [], tags: [] },
  { destinations: ['soc-chat'], minLevel: 'medium', rules: [], tags: [] },
  { destinations: ['identity-team'], minLevel: 'low', rules: [], tags: ['attack.credential-access'] },
  { destinations: ['aws-team', 'soc-chat'], minLevel: 'informational', rules: ['AWS *', 'aws-*'], tags: [] },
  { destinations: ['t1110'], minLevel: 'informational', rules: [], tags: ['attack.t1110*'] },
]);

describe('notification routing', () => {
  it('sends by minimum level', () => {
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'critical', details: {} })), ['pager', 'soc-chat']);
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'medium', details: {} })), ['soc-chat']);
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'low', details: {} })), []);
  });

  it('matches rule titles and ids by glob, case-insensitively, each destination once', () => {
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'low', ruleTitle: 'aws console login without MFA', details: {} })), ['aws-team', 'soc-chat']);
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'high', ruleId: 'aws-root-usage', ruleTitle: 'Root account used', details: {} })), ['soc-chat', 'aws-team']);
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'low', ruleTitle: 'Not AWS related', details: {} })), []);
  });

  it('matches tags exactly or by glob', () => {
    const alert = testAlert({ level: 'low', details: { tags: ['attack.credential-access', 'attack.t1110.001'] } });
    assert.deepEqual(router.destinationsFor(alert), ['identity-team', 't1110']);
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'low', details: { tags: ['attack.credential-access-x'] } })), []);
  });

  it('treats an unknown level as informational', () => {
    assert.deepEqual(router.destinationsFor(testAlert({ level: 'weird', ruleTitle: 'AWS x', details: {} })), ['aws-team', 'soc-chat']);
  });

  it('matches a many-star glob against a long rule title and tags without backtracking (ReDoS)', () => {
    const hostile = new NotificationRouter([{ destinations: ['x'], minLevel: 'informational', rules: ['*a*a*a*a*a*a*a*b'], tags: ['*a*a*a*a*a*a*a*b'] }]);
    const long = 'a'.repeat(5_000);
    const started = performance.now();
    assert.deepEqual(hostile.destinationsFor(testAlert({ level: 'low', ruleTitle: long, details: { tags: [long, long] } })), []);
    assert.deepEqual(hostile.destinationsFor(testAlert({ level: 'low', ruleTitle: `${long}b`, details: { tags: [`${long}b`] } })), ['x']);
    assert.ok(performance.now() - started < 1000, `took ${(performance.now() - started).toFixed(0)} ms`);
  });
});

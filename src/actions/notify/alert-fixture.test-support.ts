/** Alerts for notification tests. */
import type { AlertRecord } from '../../core/store.js';

let counter = 0;

export function testAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  counter++;
  return {
    id: `alert-${counter}`,
    tenant: 'default',
    created: Date.UTC(2026, 10, 29, 1, 2, 3),
    ruleId: 'b1c2d3e4-brute-force',
    ruleTitle: 'Brute force against SSH',
    ruleAuthor: 'Vigil',
    level: 'high',
    eventIds: ['e1', 'e2'],
    state: 'new',
    details: { entities: { 'source.ip': '203.0.113.7', 'user.name': 'root' }, tags: ['attack.credential-access', 'attack.t1110'] },
    ...overrides,
  };
}

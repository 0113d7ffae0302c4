/**
 * Prometheus counters for logins and the audit trail, on the registry served at /metrics:
 * every refused login and every audit entry that could not be kept moves a counter.
 */
import { Counter, type Registry } from 'prom-client';

export type LoginOutcome = 'success' | 'failure' | 'rate-limited';
export type SessionRefusal = 'csrf' | 'origin' | 'password-change-required' | 'expired';

/** The counter of that name on the registry, created once (two servers may share one registry in tests). */
function counter<L extends string>(registry: Registry, config: { name: string; help: string; labelNames?: readonly L[] }): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter<L>({ ...config, labelNames: config.labelNames ?? [], registers: [registry] });
}

export class AccountMetrics {
  readonly logins: Counter<'outcome'>;
  readonly sessionRefusals: Counter<'reason'>;
  readonly auditWritten: Counter;
  readonly auditLost: Counter<'reason'>;

  constructor(registry: Registry) {
    this.logins = counter(registry, {
      name: 'vigil_logins_total',
      help: 'Console logins by outcome: success, failure (wrong username or password, disabled user), rate-limited (refused before checking).',
      labelNames: ['outcome'],
    });
    this.sessionRefusals = counter(registry, {
      name: 'vigil_session_refusals_total',
      help: 'Requests with a session cookie refused: csrf (missing or wrong x-csrf-token), origin (cross-origin), password-change-required, expired (unknown or ended session).',
      labelNames: ['reason'],
    });
    this.auditWritten = counter(registry, {
      name: 'vigil_audit_entries_written_total',
      help: 'Audit trail entries committed to the store.',
    });
    this.auditLost = counter(registry, {
      name: 'vigil_audit_entries_lost_total',
      help: 'Audit trail entries not kept: store-error (the write failed), overflow (more buffered than the limit).',
      labelNames: ['reason'],
    });
  }
}

/**
 * Enforces retention on a timer: shortly after the server starts, then every
 * `retention.intervalMinutes` (at most 60). Each rule's deletion is one store call, recorded by
 * the store as a retention run; runs never overlap (a manual `vigil retention run` waits for a
 * scheduled one and the other way round).
 */
import type { RetentionRun } from '../../core/history.js';
import type { Store } from '../../core/store.js';
import { retentionRequests, type RetentionPolicy } from './retention-policy.js';

export interface RetentionScheduleOptions {
  readonly store: Pick<Store, 'enforceRetention'>;
  readonly policy: RetentionPolicy;
  /** Delay before the first run; default 1 minute, so a start is not slowed by a big deletion. */
  readonly firstRunMs?: number;
  /** Default: `policy.intervalMinutes`. */
  readonly intervalMs?: number;
  readonly now?: () => number;
  readonly log?: { info(o: object, m: string): void; error(o: object, m: string): void } | undefined;
}

export class RetentionSchedule {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(private readonly options: RetentionScheduleOptions) {}

  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const interval = this.options.intervalMs ?? this.options.policy.intervalMinutes * 60_000;
    const next = (delay: number) => {
      this.#timer = setTimeout(() => {
        void this.run()
          .catch(() => undefined)
          .finally(() => {
            if (!this.#closed) next(interval);
          });
      }, delay);
      this.#timer.unref();
    };
    next(this.options.firstRunMs ?? 60_000);
  }

  /** Enforces every rule now, after any run in progress; resolves with the recorded runs. */
  run(): Promise<RetentionRun[]> {
    const result = this.#running.catch(() => undefined).then(() => this.#enforce());
    this.#running = result;
    return result;
  }

  async #enforce(): Promise<RetentionRun[]> {
    const now = (this.options.now ?? Date.now)();
    const runs: RetentionRun[] = [];
    for (const request of retentionRequests(this.options.policy, now)) {
      try {
        const run = await this.options.store.enforceRetention(request);
        runs.push(run);
        this.options.log?.info({ rule: run.rule, deleted: run.deleted, cutoff: new Date(run.cutoff).toISOString(), ms: run.finished - run.started, run: run.id }, 'retention enforced');
      } catch (error) {
        // One rule failing (a locked file, a full disk) must not stop the others or the timer.
        this.options.log?.error({ err: error, rule: request.rule }, 'retention run failed; it is retried at the next interval');
        if (this.#closed) break;
      }
    }
    return runs;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running.catch(() => undefined);
  }
}

/**
 * Word of alert changes as they happen: the intake publishes the alerts it raises and the ones a
 * new detection joins, triage the ones an analyst changes; the console's alert stream
 * (src/api/alert-stream-routes.ts) listens, so new alerts appear without a reload.
 *
 * A notice names the alert, never its content: a listener that wants more reads the alert from
 * the store, through the tenant check every read has. Listeners run synchronously and must not
 * block; one that throws is logged and kept away from the others.
 */
export type AlertChangeKind = 'raised' | 'updated';

export interface AlertNotice {
  readonly tenant: string;
  readonly id: string;
  readonly change: AlertChangeKind;
}

export type AlertListener = (notice: AlertNotice) => void;

export class AlertFeed {
  readonly #listeners = new Set<AlertListener>();

  constructor(private readonly log?: { warn(o: object, m: string): void } | undefined) {}

  /** Starts telling `listener` of every change; call the returned function to stop. */
  subscribe(listener: AlertListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  publish(notices: readonly AlertNotice[]): void {
    for (const notice of notices) {
      for (const listener of this.#listeners) {
        try {
          listener(notice);
        } catch (error) {
          this.log?.warn({ err: error }, 'an alert feed listener failed; the others are still told');
        }
      }
    }
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}

/**
 * A retro-hunt: rules run over stored history, in stored order, through the same DetectionRun
 * live detection uses, so a rule gives the same hits over history as it did live
 * (test/e2e/hunt-parity.test.ts). Used by `vigil hunt` and by the console's "run against
 * history" (POST /api/v1/rules/:id/hunt).
 */
import type { Store } from '../core/store.js';
import type { DetectionRun, Detection } from './detection.js';

const PAGE = 5000;

export interface HuntRange {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Stop reading at this time (epoch ms); the hunt then reports itself incomplete. */
  readonly deadline?: number | undefined;
}

export interface HuntProgress {
  /** Stored events read. */
  readonly events: number;
  /** False when the deadline stopped the hunt before the end of the range. */
  readonly complete: boolean;
}

/** Every stored event of the tenant in the range, in stored order, through the run. */
export async function huntOver(store: Pick<Store, 'scanEvents'>, tenant: string, run: DetectionRun, emit: (d: Detection) => void, range: HuntRange = {}): Promise<HuntProgress> {
  const { from, to, deadline } = range;
  let cursor: string | undefined;
  let events = 0;
  do {
    if (deadline !== undefined && Date.now() >= deadline) return { events, complete: false };
    const page = await store.scanEvents({ tenant, limit: PAGE, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), ...(cursor ? { cursor } : {}) });
    for (const event of page.events) for (const d of run.process(event)) emit(d);
    events += page.events.length;
    cursor = page.cursor;
  } while (cursor);
  for (const d of run.flush()) emit(d);
  return { events, complete: true };
}

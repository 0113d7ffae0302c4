/**
 * The stages between the bus and the store. Enrichers add context fields (GeoIP, asset,
 * intel) before detection, because rules such as impossible travel need them; detectors turn
 * events into alerts. Both run on the consumer side of the bus, so a replay after a crash
 * runs them again for exactly the events that were not yet stored.
 */
import type { Event } from './event.js';
import type { AlertRecord } from './store.js';

export interface Enricher {
  readonly name: string;
  enrich(batch: readonly Event[]): Promise<readonly Event[]> | readonly Event[];
}

export interface Detector {
  readonly name: string;
  detect(batch: readonly Event[]): Promise<readonly AlertRecord[]> | readonly AlertRecord[];
}

/**
 * Where detections go: the alert intake (src/alerts) groups, suppresses and throttles them
 * before the store; without one they are stored as they are.
 */
export interface AlertSink {
  raise(alerts: readonly AlertRecord[]): Promise<void>;
}

/**
 * The ingest role's sink: enrich (GeoIP…) then publish to the bus, so the store and detect roles
 * read the same enriched event. `submit` resolves only once JetStream acknowledged every event:
 * a sender hears "accepted" (HTTP 200, a TCP read, a committed file offset) only for events
 * that are replicated in the stream, and 503 when it is not reachable or full.
 */
import type { Bus } from '../../core/bus.js';
import type { Event } from '../../core/event.js';
import type { Metrics } from '../../core/metrics.js';
import type { EventSink } from '../../core/source.js';
import type { Enricher } from '../../core/stage.js';

export interface IngestPublisherOptions {
  readonly bus: Bus;
  readonly enrichers: readonly Enricher[];
  readonly metrics: Metrics;
  readonly onError?: (message: string, error: unknown) => void;
}

export class IngestPublisher implements EventSink {
  constructor(private readonly options: IngestPublisherOptions) {}

  async submit(events: readonly Event[]): Promise<void> {
    let enriched = events;
    for (const enricher of this.options.enrichers) {
      try {
        enriched = await enricher.enrich(enriched);
      } catch (error) {
        // As in the embedded pipeline: a failing enricher must not cost the events.
        this.options.onError?.(`${enricher.name} failed on a batch; publishing the batch without it`, error);
      }
    }
    await this.options.bus.publish(enriched);
    this.options.metrics.inputs.accepted(enriched);
  }
}

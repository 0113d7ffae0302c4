/**
 * Prometheus counters for notifications, registered on the registry the server exposes at
 * /metrics. Pass `metrics.onOutcome` as the service's `onOutcome`. Every drop and every
 * dead-lettered delivery moves a counter: nothing is lost silently.
 */
import { Counter, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './delivery-queue.js';

export class NotificationMetrics {
  readonly deliveries: Counter<'destination' | 'outcome'>;

  constructor(registry: Registry) {
    this.deliveries = new Counter({
      name: 'vigil_notification_deliveries_total',
      help: 'Notification delivery outcomes per destination: delivered, retrying (one failed attempt), dead-lettered, dropped (queue full).',
      labelNames: ['destination', 'outcome'],
      registers: [registry],
    });
  }

  readonly onOutcome = (o: DeliveryOutcome): void => {
    const destination = o.kind === 'dropped' ? o.destination : o.delivery.destination;
    this.deliveries.inc({ destination, outcome: o.kind });
  };
}

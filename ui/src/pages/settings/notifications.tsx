/** Notification destinations and routes as configured in vigil.yaml, secrets redacted by the server. */
import type { ReactNode } from 'react';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { DataView } from '../../components/event-view.js';
import { durationText } from '../../components/time.js';
import { Visible } from '../../components/visible.js';
import { valueText, visibleText } from '../../components/visible-text.js';

type Entry = Readonly<Record<string, unknown>>;

interface NotificationsView {
  readonly destinations?: readonly Entry[];
  readonly routes?: readonly Entry[];
  readonly retry?: { readonly maxTries?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
  readonly maxPending?: number;
  readonly timeoutMs?: number;
}

export function NotificationsSection(): ReactNode {
  const { data, error, loading } = useApi<NotificationsView>('/api/v1/settings/notifications');
  const destinations = Array.isArray(data?.destinations) ? data.destinations : [];
  const routes = Array.isArray(data?.routes) ? data.routes : [];
  return (
    <section aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <p className="muted small">Destinations and routes are set in vigil.yaml (docs/notifications.md); secrets are never sent to the console.</p>
      <ErrorNotice error={error} label="Notifications" />
      {loading ? <Loading what="notification destinations" /> : null}
      {data && destinations.length === 0 ? <p className="muted">No notification destinations are configured.</p> : null}
      {destinations.map((d, i) => (
        <section key={i} className="card" aria-label={`Destination ${visibleText(valueText(d['name'] ?? i + 1))}`}>
          <h3>
            <Visible>{d['name'] ?? `destination ${i + 1}`}</Visible> <span className="muted small">{visibleText(valueText(d['type'] ?? d['kind']))}</span>
          </h3>
          <DataView value={d} />
        </section>
      ))}
      {routes.length > 0 ? (
        <section className="card" aria-labelledby="notification-routes">
          <h3 id="notification-routes">Routes</h3>
          <DataView value={routes} />
        </section>
      ) : null}
      {data?.retry ? (
        <p className="muted small">
          Delivery: up to {data.retry.maxTries ?? '—'} tries, waiting {durationText(data.retry.baseDelayMs)} to {durationText(data.retry.maxDelayMs)} between them; at most{' '}
          {data.maxPending?.toLocaleString('en') ?? '—'} waiting; {durationText(data.timeoutMs)} per attempt.
        </p>
      ) : null}
    </section>
  );
}

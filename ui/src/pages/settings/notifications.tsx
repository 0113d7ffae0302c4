/** Notification destinations as configured in vigil.yaml, secrets redacted by the server. */
import type { ReactNode } from 'react';
import { useApi } from '../../api/use-api.js';
import { ErrorNotice, Loading } from '../../components/error-notice.js';
import { DataView } from '../../components/event-view.js';
import { Visible } from '../../components/visible.js';
import { valueText } from '../../components/visible-text.js';

type Destination = Readonly<Record<string, unknown>>;

export function NotificationsSection(): ReactNode {
  const { data, error, loading } = useApi<{ destinations?: readonly Destination[] } & Record<string, unknown>>('/api/v1/settings/notifications');
  const destinations = Array.isArray(data?.destinations) ? data.destinations : [];
  return (
    <section aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <p className="muted small">Destinations are set in vigil.yaml (docs/notifications.md); secrets are never sent to the console.</p>
      <ErrorNotice error={error} label="Notifications" />
      {loading ? <Loading what="notification destinations" /> : null}
      {data && destinations.length === 0 ? <p className="muted">No notification destinations are configured.</p> : null}
      {destinations.map((d, i) => (
        <section key={i} className="card" aria-label={`Destination ${valueText(d['name'] ?? i + 1)}`}>
          <h3>
            <Visible>{d['name'] ?? `destination ${i + 1}`}</Visible> <span className="muted small">{valueText(d['kind'] ?? d['type'])}</span>
          </h3>
          <DataView value={d} />
        </section>
      ))}
    </section>
  );
}

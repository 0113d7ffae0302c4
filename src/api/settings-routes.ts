/**
 * The console's settings pages that show configuration (admin): where notifications go and what
 * playbooks run, as loaded from vigil.yaml and the playbook files, every secret taken out
 * (secret-redaction.ts). Changing them stays in the files, where review and history live.
 *
 * - `GET /api/v1/settings/notifications` → destinations, routes, retry
 * - `GET /api/v1/settings/playbooks`     → `{"playbooks": [...]}`
 */
import type { FastifyInstance } from 'fastify';
import type { NotificationsConfig } from '../actions/notify/notify-config.js';
import type { Playbook } from '../actions/response/playbook.js';
import { notificationsView, playbookView, type NotificationsView, type PlaybookView } from './secret-redaction.js';

export interface SettingsRouteOptions {
  /** The `notifications:` section as parsed; absent: none configured. */
  readonly notifications?: NotificationsConfig | undefined;
  readonly playbooks: () => readonly Playbook[];
}

const NONE: NotificationsView = { destinations: [], routes: [], retry: { maxTries: 8, baseDelayMs: 1000, maxDelayMs: 300_000 }, maxPending: 10_000, timeoutMs: 10_000 };

export async function settingsRoutes(app: FastifyInstance, options: SettingsRouteOptions): Promise<void> {
  const notifications = options.notifications ? notificationsView(options.notifications) : NONE;
  app.get('/api/v1/settings/notifications', { config: { access: 'admin' } }, async (): Promise<NotificationsView> => notifications);
  app.get('/api/v1/settings/playbooks', { config: { access: 'admin' } }, async (): Promise<{ playbooks: readonly PlaybookView[] }> => ({
    playbooks: options.playbooks().map(playbookView),
  }));
}

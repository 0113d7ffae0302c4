/**
 * Settings, one section at a time: API tokens, notification destinations, playbooks and the
 * response runs waiting for approval, suppressions, users, and the audit log. Sections an
 * account's role cannot use are not offered (the API refuses them anyway).
 */
import type { ReactNode } from 'react';
import { NavLink, useParams } from 'react-router';
import type { Role } from '../../api/types.js';
import { can, useUser } from '../../session.js';
import { AuditSection } from './audit.js';
import { NotificationsSection } from './notifications.js';
import { PlaybooksSection } from './playbooks.js';
import { SuppressionsSection } from './suppressions.js';
import { TokensSection } from './tokens.js';
import { UsersSection } from './users.js';

const SECTIONS: readonly { readonly path: string; readonly name: string; readonly role: Role; readonly render: () => ReactNode }[] = [
  { path: 'tokens', name: 'Tokens', role: 'admin', render: () => <TokensSection /> },
  { path: 'notifications', name: 'Notifications', role: 'admin', render: () => <NotificationsSection /> },
  { path: 'playbooks', name: 'Playbooks', role: 'viewer', render: () => <PlaybooksSection /> },
  { path: 'suppressions', name: 'Suppressions', role: 'viewer', render: () => <SuppressionsSection /> },
  { path: 'users', name: 'Users', role: 'admin', render: () => <UsersSection /> },
  { path: 'audit', name: 'Audit log', role: 'admin', render: () => <AuditSection /> },
];

export function SettingsPage(): ReactNode {
  const user = useUser();
  const { section = '' } = useParams();
  const offered = SECTIONS.filter((s) => can(user, s.role));
  const current = offered.find((s) => s.path === section);
  return (
    <section>
      <title>{`${current?.name ?? 'Settings'} · Settings · Vigil`}</title>
      <h1>Settings</h1>
      <nav aria-label="Settings sections" className="tabs">
        <ul>
          {offered.map((s) => (
            <li key={s.path}>
              <NavLink to={`/settings/${s.path}`}>{s.name}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      {current ? current.render() : <p>There is no settings section “{section.slice(0, 40)}” for your role ({user.role}).</p>}
    </section>
  );
}

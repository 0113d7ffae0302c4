/**
 * `vigil serve --role`: which parts of Vigil this process runs. Each role is a consumer or a
 * producer around the NATS bus and the two stores (docs/deploy.md):
 * - ingest: the listeners; parse, enrich, publish to JetStream; acknowledge senders after it.
 * - store: the durable consumer `store`; events into ClickHouse with their bus position.
 * - detect: the durable consumer `detect`; detection, alert intake, notifications, response.
 *   With `scaleOut.detect`, one of several partitioned detection workers (partitioned-detection.ts).
 * - api: the HTTP API and the console over ClickHouse (reading) and PostgreSQL.
 */
import { VigilError } from '../../core/errors.js';

export const ROLES = ['ingest', 'detect', 'store', 'api'] as const;
export type Role = (typeof ROLES)[number];

/** `ingest`, `store,api`, `all` (the default): the set of roles, or a message naming the bad word. */
export function parseRoles(text: string): ReadonlySet<Role> {
  const words = text.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w.length > 0);
  if (words.length === 0) throw new VigilError('config-invalid', '--role needs at least one of ingest, detect, store, api or all', { where: '--role' });
  const roles = new Set<Role>();
  for (const word of words) {
    if (word === 'all') ROLES.forEach((r) => roles.add(r));
    else if ((ROLES as readonly string[]).includes(word)) roles.add(word as Role);
    else throw new VigilError('config-invalid', `--role: unknown role "${word}"; use ingest, detect, store, api or all, several separated by commas (e.g. --role store,api)`, { where: '--role' });
  }
  return roles;
}

/** All four roles: what `vigil serve` runs without --role. */
export function isAllRoles(roles: ReadonlySet<Role>): boolean {
  return ROLES.every((r) => roles.has(r));
}

/** `ingest, store` in the fixed order of ROLES. */
export function rolesText(roles: ReadonlySet<Role>): string {
  return ROLES.filter((r) => roles.has(r)).join(',');
}

/**
 * osquery result logs (`osqueryd.results.log`): differential rows (`name`, `action`,
 * `columns`) and snapshots (`snapshot: [...]`, kept as one event). The query's columns stay as
 * `columns.*`; a few common ones get ECS names.
 */
import type { Fields } from '../../core/event.js';

export function looksLikeOsquery(fields: Fields): boolean {
  return typeof fields['name'] === 'string' && ('hostIdentifier' in fields || 'unixTime' in fields) && ('columns' in fields || Object.keys(fields).some((k) => k.startsWith('columns.')) || 'snapshot' in fields);
}

const COLUMN_ECS: Record<string, string> = {
  'columns.pid': 'process.pid',
  'columns.path': 'process.executable',
  'columns.cmdline': 'process.command_line',
  'columns.username': 'user.name',
  'columns.remote_address': 'destination.ip',
  'columns.remote_port': 'destination.port',
  'columns.local_address': 'source.ip',
  'columns.local_port': 'source.port',
};

export function addOsqueryEcs(fields: Fields): number | undefined {
  const set = (k: string, v: Fields[string] | undefined) => {
    if (v !== undefined && v !== null && !(k in fields)) fields[k] = v;
  };
  set('host.name', fields['hostIdentifier']);
  set('rule.name', fields['name']);
  set('event.action', typeof fields['action'] === 'string' ? `osquery_${String(fields['action'])}` : 'osquery_snapshot');
  set('event.module', 'osquery');
  for (const [native, ecs] of Object.entries(COLUMN_ECS)) {
    const v = fields[native];
    const n = Number(v);
    set(ecs, (ecs.endsWith('.pid') || ecs.endsWith('.port')) && typeof v === 'string' && Number.isSafeInteger(n) ? n : v);
  }
  const unix = Number(fields['unixTime']);
  return Number.isFinite(unix) && unix > 0 ? unix * 1000 : undefined;
}

/**
 * Pivots: from a value to a search or to the entity's timeline. Every link is a route of the
 * console built here, with the value URL-encoded in the query string; a value from an event
 * never becomes an `href` of its own.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { queryString } from '../api/client.js';
import { Visible } from './visible.js';

/** The fields the entity timeline accepts (src/alerts/entity-timeline.ts). */
export const ENTITY_FIELDS = ['host.name', 'user.name', 'source.ip', 'destination.ip', 'host.ip', 'user.target.name', 'process.name', 'file.path'] as const;

export function isEntityField(field: string): boolean {
  return (ENTITY_FIELDS as readonly string[]).includes(field);
}

/** Field names the query language can name (letters, digits and `_ . @ -`). */
export function isQueryField(field: string): boolean {
  return /^[A-Za-z0-9_.@-]{1,200}$/.test(field) && !/^[-.]/.test(field);
}

/** `field:value`, the value quoted (exact, no wildcards) unless it is a plain word. */
export function fieldTerm(field: string, value: string): string {
  if (/^[A-Za-z0-9_.@-]{1,200}$/.test(value) && !/^[-]/.test(value)) return `${field}:${value}`;
  return `${field}:"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function searchPath(q: string, range?: { from?: string; to?: string }): string {
  return `/search${queryString({ q, from: range?.from, to: range?.to })}`;
}

export function timelinePath(field: string, value: string, from?: number, to?: number): string {
  return `/timeline${queryString({ entity: `${field}:${value}`, from, to })}`;
}

/** A value with its pivots: search for it, and the timeline when it is an entity. */
export function EntityValue({ field, value }: { readonly field: string; readonly value: string }): ReactNode {
  return (
    <span className="entity">
      <Visible>{value}</Visible>
      {isQueryField(field) ? (
        <Link className="pivot" to={searchPath(fieldTerm(field, value), { from: 'now-7d' })} aria-label={`Search ${field} ${value}`}>
          search
        </Link>
      ) : null}
      {isEntityField(field) ? (
        <Link className="pivot" to={timelinePath(field, value)} aria-label={`Timeline for ${field} ${value}`}>
          timeline
        </Link>
      ) : null}
    </span>
  );
}

export function LevelBadge({ level }: { readonly level: string }): ReactNode {
  const known = ['informational', 'low', 'medium', 'high', 'critical'].includes(level) ? level : 'unknown';
  return (
    <span className={`level level-${known}`}>
      <Visible>{level}</Visible>
    </span>
  );
}

export function StateBadge({ state }: { readonly state: string }): ReactNode {
  return <span className={`state state-${/^[a-z_]+$/.test(state) ? state : 'unknown'}`}>{state.replace(/_/g, ' ')}</span>;
}

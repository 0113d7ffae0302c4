/** Pieces of an alert shown on several pages: its entities and its one-line summary. */
import type { ReactNode } from 'react';
import type { Alert } from '../api/types.js';
import { Visible } from './visible.js';
import { valueText } from './visible-text.js';

/** `details.entities` as field/value pairs, one per value of an array. */
export function entitiesOf(alert: Pick<Alert, 'details'>): { field: string; value: string }[] {
  const raw = alert.details['entities'];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const out: { field: string; value: string }[] = [];
  for (const [field, v] of Object.entries(raw as Record<string, unknown>)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      const value = valueText(one);
      if (value !== '') out.push({ field, value });
    }
  }
  return out.slice(0, 50);
}

/** The three entities that say most about an alert in a queue row. */
export function EntitySummary({ alert }: { readonly alert: Alert }): ReactNode {
  const shown = entitiesOf(alert)
    .filter((e) => ['host.name', 'user.name', 'source.ip', 'user.target.name', 'destination.ip'].includes(e.field))
    .slice(0, 3);
  if (shown.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="inline-list">
      {shown.map((e) => (
        <li key={`${e.field}\u0000${e.value}`}>
          <span className="muted">{e.field} </span>
          <Visible max={120}>{e.value}</Visible>
        </li>
      ))}
    </ul>
  );
}

export function stringList(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.map(valueText).filter((s) => s !== '') : typeof raw === 'string' && raw !== '' ? [raw] : [];
}

export const VERDICT_NAMES: Record<string, string> = { true_positive: 'True positive', false_positive: 'False positive', benign: 'Benign' };

/**
 * What notifications say about an alert: one plain view built from the AlertRecord, used as the
 * template context and by every body format, so `{{rule.title}}` means the same everywhere.
 */
import type { AlertRecord } from '../../core/store.js';

export interface AlertView {
  readonly alert: { readonly id: string; readonly tenant: string; readonly created: string; readonly state: string; readonly events: number };
  readonly rule: { readonly id: string; readonly title: string; readonly author: string };
  readonly level: string;
  /** Flat, as detection records them: `source.ip`, `user.name`. Scalars and lists of scalars only. */
  readonly entities: Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;
  readonly tags: readonly string[];
  /** The alert's details (event content: never interpreted, only looked up). */
  readonly details: Readonly<Record<string, unknown>>;
}

type Scalar = string | number | boolean;

export function alertView(alert: AlertRecord): AlertView {
  const details = alert.details;
  const entities: Record<string, Scalar | Scalar[]> = Object.create(null) as Record<string, Scalar | Scalar[]>;
  const raw = details['entities'];
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (isScalar(v)) entities[k] = v;
      else if (Array.isArray(v)) entities[k] = v.filter(isScalar);
    }
  }
  const tagsRaw = details['tags'];
  const tags = Array.isArray(tagsRaw) ? tagsRaw.filter((t): t is string => typeof t === 'string') : [];
  return {
    alert: { id: alert.id, tenant: alert.tenant, created: new Date(alert.created).toISOString(), state: alert.state, events: alert.eventIds.length },
    rule: { id: alert.ruleId, title: alert.ruleTitle, author: alert.ruleAuthor },
    level: alert.level,
    entities: { ...entities },
    tags,
    details,
  };
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** `source.ip=10.1.2.3`, one per entity, in a stable order. */
export function entityLines(view: AlertView): string[] {
  return Object.keys(view.entities)
    .sort()
    .map((k) => {
      const v = view.entities[k]!;
      return `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`;
    });
}

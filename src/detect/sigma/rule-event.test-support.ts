/** Test support: a Map-backed `RuleEvent`, independent of the product's `MappedRuleEvent`. */
import { createEvent, type FieldValue } from '../../core/event.js';
import type { RuleEvent } from './sigma-types.js';

/** A Map-backed RuleEvent: lowered values and keyword texts computed once, as the product does. */
export function ruleEvent(fields: Record<string, FieldValue>, original = JSON.stringify(fields)): RuleEvent {
  const values = new Map<string, FieldValue>(Object.entries(fields));
  const lowered = new Map<string, string | readonly string[] | undefined>();
  let keywords: string[] | undefined;
  const lower = (v: FieldValue | undefined): string | string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.flatMap((x) => lower(x) ?? []);
    return String(v).toLowerCase();
  };
  return {
    event: createEvent({ tenant: 'default', received: 0, source: { input: 'test', kind: 'file' }, format: 'json', original, fields }),
    value: (field) => values.get(field),
    lowered(field) {
      if (!lowered.has(field)) lowered.set(field, lower(values.get(field)));
      return lowered.get(field);
    },
    keywordTexts: () => (keywords ??= [...[...values.values()].flatMap((v) => lower(v) ?? []), original.toLowerCase()]),
  };
}

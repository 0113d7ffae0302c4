/**
 * Which fields a rule needs: for `vigil coverage`, which tells the rules that cannot fire on
 * this installation's data because the fields they test never occur there.
 *
 * `canMatch(has)` evaluates the rule's condition over field presence only: a search identifier
 * can match when every field its map tests is present (a list of maps: any one of them), except
 * items that are satisfied by an absent field (`|exists: false`, a `null` value); keywords match
 * free text, which every event has. `not x` can always hold. The answer is an upper bound: a
 * rule that can match by presence may still never match by value.
 */
import type { ConditionNode } from './condition-parser.js';
import type { RawDetection } from './rule-document.js';

export interface RuleFieldNeeds {
  /** Every field the detection names (values of `fieldref` included), sorted. */
  readonly fields: readonly string[];
  /** Whether the condition can hold on events that have exactly the fields `has` says yes to. */
  canMatch(has: (field: string) => boolean): boolean;
}

type Need = (has: (field: string) => boolean) => boolean;

const ALWAYS: Need = () => true;

export function ruleFieldNeeds(detection: RawDetection): RuleFieldNeeds {
  const fields = new Set<string>();
  const identifiers = new Map<string, Need>();
  for (const [name, definition] of detection.identifiers) identifiers.set(name, identifierNeed(definition, fields));
  const need = conditionNeed(detection.condition, identifiers);
  return { fields: [...fields].sort(), canMatch: need };
}

function conditionNeed(node: ConditionNode, identifiers: ReadonlyMap<string, Need>): Need {
  switch (node.kind) {
    case 'id':
      return identifiers.get(node.name) ?? ALWAYS;
    case 'not':
      // A negation holds whenever the inner part does not: presence alone never rules it out.
      return ALWAYS;
    case 'and': {
      const parts = node.operands.map((o) => conditionNeed(o, identifiers));
      return (has) => parts.every((p) => p(has));
    }
    case 'or': {
      const parts = node.operands.map((o) => conditionNeed(o, identifiers));
      return (has) => parts.some((p) => p(has));
    }
    case 'of':
      return ALWAYS;
  }
}

function identifierNeed(definition: unknown, fields: Set<string>): Need {
  if (isMap(definition)) return mapNeed(definition, fields);
  if (Array.isArray(definition) && definition.length > 0 && definition.every(isMap)) {
    const maps = definition.map((m) => mapNeed(m as Record<string, unknown>, fields));
    return (has) => maps.some((m) => m(has));
  }
  return ALWAYS;
}

function mapNeed(map: Record<string, unknown>, fields: Set<string>): Need {
  const required: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const [field, ...modifiers] = key.split('|');
    if (!field) continue;
    fields.add(field);
    if (modifiers.includes('fieldref')) for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') fields.add(v);
    if (satisfiedWhenAbsent(modifiers, value)) continue;
    required.push(field);
  }
  return (has) => required.every((f) => has(f));
}

function satisfiedWhenAbsent(modifiers: readonly string[], value: unknown): boolean {
  if (modifiers.includes('exists')) return value === false || (Array.isArray(value) && value.includes(false));
  if (value === null) return true;
  return Array.isArray(value) && value.includes(null);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

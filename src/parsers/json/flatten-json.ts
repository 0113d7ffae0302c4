/**
 * Flattens a parsed JSON object into Vigil's flat field map: `{user:{name:'root'}}` becomes
 * `user.name`, the shape ECS documents and the store indexes.
 *
 * Decisions (documented in docs/shippers.md):
 * - arrays of scalars stay arrays (`tags: ['a','b']`), so `tags:a` can match an element;
 * - arrays holding objects or arrays are kept as their JSON text under the array's key. Flattening
 *   them with indices (`process.args.0.name`) would make the key set depend on the data and blow
 *   through the field cap on a single noisy record; the text stays searchable and `original`
 *   keeps the exact structure for rules;
 * - empty objects produce no field;
 * - keys `__proto__`, `constructor` and `prototype` are skipped (anywhere in a path), and the
 *   result map has no prototype, so a record can never reach `Object.prototype`.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';

export interface FlattenLimits {
  /** The record itself is level 1; `{a:{b:1}}` is 2 levels deep. */
  readonly maxDepth: number;
  readonly maxFields: number;
}

export interface Flattened {
  readonly fields: Fields;
  /** Some fields were dropped because the record had more than `maxFields`. */
  readonly truncated: boolean;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A map with no prototype: assigning any key is a plain own property. */
export function emptyFields(): Fields {
  return Object.create(null) as Fields;
}

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

function tooDeep(maxDepth: number): VigilError {
  return new VigilError('bad-request', `JSON nested deeper than ${maxDepth} levels; flatten the record or raise http.maxJsonDepth`);
}

function isPlainObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Throws when `value` (found at `depth`) nests past `maxDepth`; runs before JSON.stringify,
 *  which recurses and would overflow the stack on a deep enough value. */
function checkDepth(value: unknown, depth: number, maxDepth: number): void {
  if (depth > maxDepth) throw tooDeep(maxDepth);
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) checkDepth(item, depth + 1, maxDepth);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (typeof item === 'object' && item !== null) checkDepth(item, depth + 1, maxDepth);
    }
  }
}

class Flattener {
  readonly fields = emptyFields();
  count = 0;
  truncated = false;

  constructor(private readonly limits: FlattenLimits) {}

  put(key: string, value: FieldValue): void {
    if (!(key in this.fields)) {
      if (this.count >= this.limits.maxFields) {
        this.truncated = true;
        return;
      }
      this.count++;
    }
    this.fields[key] = value;
  }

  object(value: { readonly [key: string]: unknown }, prefix: string, depth: number): void {
    if (depth > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    for (const key of Object.keys(value)) {
      if (isForbiddenKey(key)) continue;
      this.value(prefix === '' ? key : `${prefix}.${key}`, value[key], depth);
    }
  }

  value(key: string, value: unknown, depth: number): void {
    if (isScalar(value)) {
      this.put(key, value);
    } else if (Array.isArray(value)) {
      if (value.every(isScalar)) {
        if (depth + 1 > this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
        this.put(key, value as readonly FieldValue[]);
      } else {
        checkDepth(value, depth + 1, this.limits.maxDepth);
        this.put(key, JSON.stringify(value));
      }
    } else if (isPlainObject(value)) {
      this.object(value, key, depth + 1);
    }
    // undefined, functions, symbols: cannot come out of JSON.parse; nothing to store.
  }
}

/**
 * Flattens `record` into `into` (a fresh prototype-less map by default). Throws
 * `VigilError('bad-request')` when the record nests deeper than `maxDepth`.
 */
export function flattenJsonObject(record: { readonly [key: string]: unknown }, limits: FlattenLimits, prefix = ''): Flattened {
  const flattener = new Flattener(limits);
  flattener.object(record, prefix, 1);
  return { fields: flattener.fields, truncated: flattener.truncated };
}

/**
 * Merges `source` into `target` without exceeding `maxFields` keys in total; keys already in
 * `target` are overwritten (they do not count twice). Returns true when keys were dropped.
 */
export function mergeFields(target: Fields, source: Fields, maxFields: number): boolean {
  let count = Object.keys(target).length;
  let dropped = false;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    if (!(key in target)) {
      if (count >= maxFields) {
        dropped = true;
        continue;
      }
      count++;
    }
    target[key] = value;
  }
  return dropped;
}

/**
 * Flat native field names for a decoded EVTX record, as Sigma rules (and Hayabusa / Chainsaw
 * mappings) name them: the `System` values under their short names (`EventID`, `Channel`,
 * `Provider_Name`, `TimeCreated`…), then every `EventData` value and every `UserData` leaf by
 * its own name (`Image`, `CommandLine`, `TargetUserName`…). System names win over event data
 * of the same name, so a hostile `<Data Name="EventID">` cannot hide the real one.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import type { JsonTree, JsonValue } from './evtx-record-tree.js';

/** Names that would reach Object.prototype machinery if used as plain keys. */
const UNSAFE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

function isTree(v: JsonValue | undefined): v is JsonTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"#attributes":…, "#text": v}` → v; scalars and arrays of scalars as they are. */
function toField(v: JsonValue | undefined): FieldValue | undefined {
  if (v === undefined) return undefined;
  if (isTree(v)) return '#text' in v ? toField(v['#text']) : undefined;
  if (Array.isArray(v)) {
    const out: FieldValue[] = [];
    for (const item of v) {
      const f = toField(item);
      if (f !== undefined) out.push(f);
    }
    return out;
  }
  return v;
}

function attribute(v: JsonValue | undefined, name: string): FieldValue | undefined {
  if (!isTree(v)) return undefined;
  const attrs = v['#attributes'];
  return isTree(attrs) ? toField(attrs[name]) : undefined;
}

function put(fields: Fields, name: string, value: FieldValue | undefined): void {
  if (value === undefined || UNSAFE_NAMES.has(name) || Object.prototype.hasOwnProperty.call(fields, name)) return;
  fields[name] = value;
}

/** UserData holds one provider-defined element whose leaves are the values (e.g. 1102's LogFileCleared). */
function putLeaves(fields: Fields, tree: JsonTree, depth: number): void {
  if (depth > 8) return;
  for (const [name, v] of Object.entries(tree)) {
    if (name === '#attributes') continue;
    if (isTree(v) && !('#text' in v)) putLeaves(fields, v, depth + 1);
    else put(fields, name === '#text' ? 'Data' : name, toField(v));
  }
}

/** Flattens `{"Event": {...}}` (or the inner Event object) into Sigma's native field names. */
export function evtxNativeFields(event: JsonTree): Fields {
  const fields: Fields = Object.create(null) as Fields;
  const root = isTree(event['Event']) ? event['Event'] : event;
  const system = root['System'];
  if (isTree(system)) {
    for (const name of ['EventID', 'Version', 'Level', 'Task', 'Opcode', 'Keywords', 'EventRecordID', 'Channel', 'Computer']) {
      put(fields, name, toField(system[name]));
    }
    put(fields, 'Provider_Name', attribute(system['Provider'], 'Name'));
    put(fields, 'Provider_Guid', attribute(system['Provider'], 'Guid'));
    put(fields, 'EventSourceName', attribute(system['Provider'], 'EventSourceName'));
    put(fields, 'TimeCreated', attribute(system['TimeCreated'], 'SystemTime'));
    put(fields, 'ProcessID', attribute(system['Execution'], 'ProcessID'));
    put(fields, 'ThreadID', attribute(system['Execution'], 'ThreadID'));
    put(fields, 'UserID', attribute(system['Security'], 'UserID'));
    put(fields, 'ActivityID', attribute(system['Correlation'], 'ActivityID'));
  }
  const eventData = root['EventData'];
  if (isTree(eventData)) putLeaves(fields, eventData, 0);
  const userData = root['UserData'];
  if (isTree(userData)) putLeaves(fields, userData, 0);
  // A plain object for callers (spread, JSON) once every key is known to be safe.
  return Object.assign({}, fields);
}

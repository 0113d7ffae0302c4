/**
 * Windows events arrive as JSON in several shapes; all of them are brought to the same native
 * field names (those of the EVTX record, as Sigma uses them) before ECS names are added:
 * - `evtx_dump`: `{"Event": {"System": …, "EventData": …}}`;
 * - Winlogbeat / Elastic Agent (ECS): `winlog.event_id`, `winlog.channel`, `winlog.event_data.*`;
 * - NXLog `im_msvistalog` and the OTRF Security-Datasets (Mordor) exports built on it: a flat
 *   object with `EventID`, `Hostname`, `SourceName`, `Channel` and the event data beside them.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import { addWindowsEcs, canonicalNative, isWindowsEventTree, windowsEventFields, type WindowsEvent } from './windows-event-ecs.js';
import type { JsonTree } from '../evtx/index.js';

type Json = { readonly [k: string]: unknown };

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): FieldValue | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v as FieldValue[];
  return undefined;
}

function copy(into: Fields, name: string, v: unknown): void {
  const value = scalar(v);
  if (value === undefined || UNSAFE.has(name) || name in into) return;
  into[name] = value;
}

/** Winlogbeat's `winlog` object → native names. */
function fromWinlogbeat(record: Json, winlog: Json): Fields {
  const f: Fields = Object.create(null) as Fields;
  copy(f, 'EventID', winlog['event_id']);
  copy(f, 'Channel', winlog['channel']);
  copy(f, 'Computer', winlog['computer_name']);
  copy(f, 'Provider_Name', winlog['provider_name']);
  copy(f, 'Provider_Guid', winlog['provider_guid']);
  copy(f, 'EventRecordID', winlog['record_id']);
  copy(f, 'Task', winlog['task']);
  copy(f, 'Opcode', winlog['opcode']);
  copy(f, 'Keywords', winlog['keywords']);
  const process = isObject(winlog['process']) ? winlog['process'] : {};
  copy(f, 'ProcessID', process['pid']);
  copy(f, 'ThreadID', isObject(process['thread']) ? process['thread']['id'] : undefined);
  copy(f, 'UserID', isObject(winlog['user']) ? winlog['user']['identifier'] : undefined);
  copy(f, 'TimeCreated', record['@timestamp']);
  for (const part of ['event_data', 'user_data']) {
    const data = winlog[part];
    if (isObject(data)) for (const [k, v] of Object.entries(data)) copy(f, k, v);
  }
  return f;
}

/** NXLog / Mordor metadata that is not part of the Windows event itself. */
const NXLOG_META = new Set([
  'EventTime', 'EventReceivedTime', 'SourceModuleName', 'SourceModuleType', 'Severity', 'SeverityValue', 'EventType',
  'OpcodeValue', 'RecordNumber', 'Hostname', 'SourceName', 'ProviderGuid', '@version', '@timestamp', 'host', 'port', 'tags',
  'Message', 'Category', 'Version', 'Domain', 'AccountName', 'UserID', 'AccountType', 'ERROR_EVT_UNRESOLVED', 'TimeCreated',
]);

function fromNxlog(record: Json): Fields {
  const f: Fields = Object.create(null) as Fields;
  copy(f, 'EventID', record['EventID']);
  copy(f, 'Channel', record['Channel']);
  copy(f, 'Computer', record['Hostname']);
  copy(f, 'Provider_Name', record['SourceName']);
  copy(f, 'Provider_Guid', typeof record['ProviderGuid'] === 'string' ? record['ProviderGuid'].replace(/^\{|\}$/g, '').toUpperCase() : undefined);
  copy(f, 'EventRecordID', record['RecordNumber']);
  copy(f, 'UserID', record['UserID']);
  copy(f, 'TimeCreated', record['TimeCreated'] ?? record['@timestamp'] ?? record['EventTime']);
  for (const [k, v] of Object.entries(record)) if (!NXLOG_META.has(k)) copy(f, k, v);
  return f;
}

/** The shape of a JSON record, when it is a Windows event. */
export function windowsShapeOf(record: unknown): 'evtx_dump' | 'winlogbeat' | 'nxlog' | undefined {
  if (isWindowsEventTree(record)) return 'evtx_dump';
  if (!isObject(record)) return undefined;
  const winlog = record['winlog'];
  if (isObject(winlog) && winlog['event_id'] !== undefined && (winlog['channel'] !== undefined || winlog['provider_name'] !== undefined)) return 'winlogbeat';
  if (record['EventID'] !== undefined && (typeof record['SourceName'] === 'string' || typeof record['Channel'] === 'string') && typeof record['Hostname'] === 'string') return 'nxlog';
  return undefined;
}

/** Native and ECS fields for a Windows event in any known JSON shape; undefined for other JSON. */
export function windowsEventFromJson(record: unknown): (WindowsEvent & { readonly shape: string }) | undefined {
  const shape = windowsShapeOf(record);
  if (!shape) return undefined;
  if (shape === 'evtx_dump') return { shape, ...windowsEventFields(record as JsonTree) };
  const json = record as Json;
  const native = shape === 'winlogbeat' ? fromWinlogbeat(json, json['winlog'] as Json) : fromNxlog(json);
  const event = addWindowsEcs(canonicalNative(native));
  if (typeof json['Message'] === 'string' && !('message' in event.fields)) event.fields['message'] = json['Message'];
  if (typeof json['message'] === 'string' && !('message' in event.fields)) event.fields['message'] = json['message'];
  return { shape, ...event };
}

/**
 * `POST /api/v1/ingest` records: a JSON object is flattened into ECS-style dotted fields and its
 * time read from `@timestamp` (then `timestamp`, `time`, `event.created`); a bare JSON string
 * is a plain message.
 */
import type { EventFlag, Fields } from '../../core/event.js';
import type { JsonObject, MappedRecord, MappingLimits } from '../../sources/http/record-mapping.js';
import { emptyFields, flattenJsonObject } from './flatten-json.js';
import { eventTimeOf } from './event-time.js';
import { addEveEcs, looksLikeEve } from '../suricata/eve-ecs.js';
import { addZeekEcs, looksLikeZeek, zeekPathOf } from '../zeek/zeek-ecs.js';
import { windowsEventFromJson } from '../windows/windows-json-shapes.js';
import { addCloudTrailEcs, addGcpAuditEcs, looksLikeCloudTrail, looksLikeGcpAudit } from '../cloud/cloud-audit-ecs.js';
import { addAzureEcs, azureShapeOf } from '../cloud/azure-ecs.js';
import { addJournaldEcs, looksLikeJournald } from '../journald/journald-ecs.js';
import { addOsqueryEcs, looksLikeOsquery } from '../osquery/osquery-ecs.js';
import { addLogAnalyticsSyslogEcs, looksLikeLogAnalyticsSyslog } from './log-analytics-syslog.js';

/** Time and flags for flattened fields: shared by every JSON-shaped input. */
export function finishRecord(fields: Fields, truncated: boolean, time?: number): MappedRecord {
  const flags: EventFlag[] = [];
  if (truncated) flags.push('truncated');
  if (time !== undefined) return { fields, time, flags };
  const found = eventTimeOf(fields);
  if (found.unparsed) flags.push('time-unparsed');
  return { fields, time: found.time, flags };
}

export function mapMessage(message: string): MappedRecord {
  const fields = emptyFields();
  fields['message'] = message;
  return { fields, time: undefined, flags: [] };
}

export function mapJsonRecord(record: JsonObject | string, limits: MappingLimits): MappedRecord {
  if (typeof record === 'string') return mapMessage(record);
  const { fields, truncated } = flattenJsonObject(record, { maxDepth: limits.maxJsonDepth, maxFields: limits.maxFieldsPerEvent });
  return finishRecord(fields, truncated, addSensorEcs(fields, record));
}

/**
 * Windows event shippers and network sensors ship JSON in their own shapes; recognised ones get ECS fields beside their
 * native names, so `source.ip:…` finds a Zeek or Suricata record like any other. Returns the
 * event time when the shape has its own time field.
 */
export function addSensorEcs(fields: Fields, record?: JsonObject): number | undefined {
  const windows = record === undefined ? undefined : windowsEventFromJson(record);
  if (windows) {
    // evtx_dump's nesting (`Event.System.EventID`) says nothing the native names do not.
    if (windows.shape === 'evtx_dump') for (const k of Object.keys(fields)) delete fields[k];
    for (const [k, v] of Object.entries(windows.fields)) if (!(k in fields)) fields[k] = v;
    return windows.time;
  }
  if (looksLikeEve(fields)) {
    addEveEcs(fields);
    return undefined;
  }
  if (looksLikeZeek(fields)) return addZeekEcs(fields, zeekPathOf(fields));
  if (looksLikeCloudTrail(fields)) return addCloudTrailEcs(fields);
  // EventBridge delivers CloudTrail records as `detail` of an envelope.
  if (fields['detail-type'] === 'AWS API Call via CloudTrail' && typeof fields['detail.eventName'] === 'string') return addCloudTrailEcs(fields, 'detail.');
  if (looksLikeGcpAudit(fields)) return addGcpAuditEcs(fields);
  const azure = azureShapeOf(fields);
  if (azure) return addAzureEcs(fields, azure);
  if (looksLikeJournald(fields)) return addJournaldEcs(fields);
  if (looksLikeOsquery(fields)) return addOsqueryEcs(fields);
  if (looksLikeLogAnalyticsSyslog(fields)) return addLogAnalyticsSyslogEcs(fields);
  return undefined;
}

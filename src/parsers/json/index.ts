/**
 * The JSON parser: maps records of the HTTP inputs (JSON/NDJSON, Splunk HEC, Elasticsearch
 * `_bulk`) to ECS fields. Plug it into the HTTP source as its `RecordMapping`.
 */
import type { RecordMapping } from '../../sources/http/record-mapping.js';
import { mapJsonRecord } from './json-mapping.js';
import { mapHecEvent } from './hec-mapping.js';
import { mapBulkDocument } from './bulk-mapping.js';

export const jsonRecordMapping: RecordMapping = {
  json: mapJsonRecord,
  hec: mapHecEvent,
  bulk: mapBulkDocument,
};

export { flattenJsonObject, type FlattenLimits, type Flattened } from './flatten-json.js';
export { parseTimestamp, eventTimeOf, TIME_FIELDS } from './event-time.js';

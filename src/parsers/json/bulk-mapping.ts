/**
 * Elasticsearch `_bulk` documents: flattened like any JSON record. The target index is kept as
 * `elastic.index` (and a client-chosen `_id` as `elastic.id`) rather than forced into
 * `data_stream.dataset`: shippers put anything in the index name (`filebeat-8.17.0`,
 * `logstash-2026.01.01`, `logs-nginx.access-default`), and data-stream documents already carry
 * their own `data_stream.*` fields, which stay untouched.
 */
import type { BulkMetadata, JsonObject, MappedRecord, MappingLimits } from '../../sources/http/record-mapping.js';
import { flattenJsonObject, mergeFields, emptyFields } from './flatten-json.js';
import { addSensorEcs, finishRecord } from './json-mapping.js';

export function mapBulkDocument(document: JsonObject, metadata: BulkMetadata, limits: MappingLimits): MappedRecord {
  const { fields, truncated } = flattenJsonObject(document, { maxDepth: limits.maxJsonDepth, maxFields: limits.maxFieldsPerEvent });
  const meta = emptyFields();
  if (metadata.index !== undefined) meta['elastic.index'] = metadata.index;
  if (metadata.id !== undefined) meta['elastic.id'] = metadata.id;
  const dropped = mergeFields(fields, meta, limits.maxFieldsPerEvent + 2);
  return finishRecord(fields, truncated || dropped, addSensorEcs(fields, document));
}

/**
 * Event ↔ `events` row of the ClickHouse store (schema.ts). Writing builds one object per event
 * (JSONEachRow) and its digest (chain-hashes.ts) from the very values written, so verify can
 * recompute it from the stored row (clickhouse-chain.ts). Reading rebuilds the Event from the
 * columns a search selects (HIT_COLUMNS).
 */
import type { Event, FieldValue } from '../../core/event.js';
import { eventDigest, type DigestValue } from '../chain/chain-hashes.js';
import { checkEvent } from '../event-checks.js';
import { PROMOTED_FIELDS } from '../sql/promoted-fields.js';
import { searchTextOf } from '../sql/search-text.js';
import { DIGEST_COLUMNS } from './schema.js';

/**
 * Text as ClickHouse will store it. A lone UTF-16 surrogate has no UTF-8 form: it becomes U+FFFD
 * here, so the digest is computed over the text the database holds (and DuckDB does the same).
 */
function wellFormed(value: string): string {
  // Node's UTF-8 encoder makes that replacement; most texts have no surrogate at all and skip it.
  return SURROGATE.test(value) ? Buffer.from(value, 'utf8').toString('utf8') : value;
}

const SURROGATE = /[\ud800-\udfff]/;

/** The lower-cased search keys a promoted column holds: one per scalar (element); none when absent. */
function keywords(value: FieldValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const keys: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') keys.push(wellFormed(String(item).toLowerCase()));
  }
  return keys;
}

/** The text of a message that is not a string: numbers as written, anything else as JSON. */
function messageText(message: FieldValue | undefined): string | null {
  if (message === undefined || message === null) return null;
  if (typeof message === 'string') return wellFormed(message);
  return typeof message === 'object' ? JSON.stringify(message) : String(message);
}

/** One event's row, ready for JSONEachRow, without its batch number (known only in the write's turn). */
export interface EventRow {
  readonly values: Record<string, unknown>;
  readonly digest: string;
  readonly id: string;
  readonly tenant: string;
  readonly time: number;
}

/** Validates an event and builds its row; `index` is its place in the batch, for messages. */
export function eventRow(event: Event, index: number): EventRow {
  const { id, tenant, time, received, input, kind, format, original, storedFields, message } = checkEvent(event, index, wellFormed);
  const messageColumn = messageText(message);
  const values: DigestValue[] = [
    id,
    tenant,
    time,
    received,
    input,
    kind,
    typeof event.source.address === 'string' ? wellFormed(event.source.address) : null,
    format,
    event.flags.map((f) => wellFormed(String(f))),
    original,
    messageColumn,
    // Decoding a JSON original's escapes can yield a lone surrogate (`\ud800` in the record).
    wellFormed(searchTextOf(original, messageColumn)),
    // JSON.stringify escapes lone surrogates (\udXXX): the JSON text is always well formed.
    JSON.stringify(storedFields),
    ...PROMOTED_FIELDS.map((p) => keywords(event.fields[p.field])),
  ];
  const row: Record<string, unknown> = {};
  DIGEST_COLUMNS.forEach((c, i) => {
    row[c.name] = values[i];
  });
  const digest = eventDigest(values);
  row['batch_pos'] = index;
  row['digest'] = digest;
  return { values: row, digest, id, tenant, time };
}

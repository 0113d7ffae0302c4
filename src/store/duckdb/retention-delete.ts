/**
 * Retention for the DuckDB store: deletes the events a rule has let expire, and keeps the chain
 * verifiable while doing so. In the deletion's own transaction each chained event leaves a
 * tombstone (its batch, position, id and digest) and the run is recorded with a hash of its
 * tombstones, signed with the data folder's key: `verify` then accepts a missing position only
 * when a valid run accounts for it, so deletion by hand still shows as tampering.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RetentionRequest, RetentionRun } from '../../core/history.js';
import { OrderedHash, retentionSignature, tombstoneLine } from '../chain/chain-hashes.js';
import { checkRetentionRequest, selectorSql, type BindParameter } from '../retention-selector.js';

/**
 * Events *received* before the cutoff expire, not events whose own time is old: a device with a
 * wrong clock (or a replayed archive) must not have its events deleted on arrival.
 */
export async function deleteExpired(conn: DuckDBConnection, request: RetentionRequest, id: string, key: Uint8Array | undefined): Promise<RetentionRun> {
  checkRetentionRequest(request);
  const params: (string | bigint)[] = [];
  const bind: BindParameter = (value) => `$${params.push(value)}`;
  const condition = [
    `received < CAST($${params.push(BigInt(request.cutoff))} AS BIGINT)`,
    `(${selectorSql(request.selector, bind)})`,
    ...request.except.map((e) => `NOT (${selectorSql(e, bind)})`),
  ].join(' AND ');
  const runParam = `$${params.length + 1}`;
  const stoned = await conn.run(
    `INSERT INTO event_tombstones (batch_seq, batch_pos, id, digest, run_id)
     SELECT batch_seq, coalesce(batch_pos, -1), id, coalesce(digest, ''), ${runParam} FROM events WHERE ${condition} AND batch_seq IS NOT NULL`,
    [...params, id],
  );
  const deleted = (await conn.run(`DELETE FROM events WHERE ${condition}`, params)).rowsChanged;
  const hash = new OrderedHash();
  const result = await conn.stream('SELECT batch_seq, batch_pos, id, digest FROM event_tombstones WHERE run_id = $1 ORDER BY batch_seq, batch_pos', [id]);
  for await (const rows of result.yieldRowsJs()) {
    for (const [seq, pos, eventId, digest] of rows) hash.add(tombstoneLine(Number(seq), Number(pos), String(eventId), String(digest)));
  }
  const fields = {
    id,
    rule: request.rule,
    selector: JSON.stringify({ selector: request.selector, except: request.except }),
    cutoff: request.cutoff,
    started: request.now,
    finished: Math.max(request.now, Date.now()),
    deleted,
    legacyDeleted: deleted - stoned.rowsChanged,
    tombstonesHash: hash.hex(),
  };
  const signature = key === undefined ? null : retentionSignature(key, fields);
  await conn.run(
    `INSERT INTO retention_runs (id, rule, selector, cutoff, started, finished, deleted, legacy_deleted, tombstones_hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [id, fields.rule, fields.selector, BigInt(fields.cutoff), BigInt(fields.started), BigInt(fields.finished), BigInt(deleted), BigInt(fields.legacyDeleted), fields.tombstonesHash, signature],
  );
  return { id, rule: fields.rule, selector: fields.selector, cutoff: fields.cutoff, started: fields.started, finished: fields.finished, deleted, legacyDeleted: fields.legacyDeleted, signed: signature !== null };
}

export async function listRuns(conn: DuckDBConnection, limit: number): Promise<RetentionRun[]> {
  const reader = await conn.runAndReadAll(
    `SELECT id, rule, selector, cutoff, started, finished, deleted, legacy_deleted, signature IS NOT NULL FROM retention_runs ORDER BY started DESC, id DESC LIMIT ${limit}`,
  );
  return reader.getRowsJS().map(([id, rule, selector, cutoff, started, finished, deleted, legacy, signed]) => ({
    id: String(id),
    rule: String(rule),
    selector: String(selector),
    cutoff: Number(cutoff),
    started: Number(started),
    finished: Number(finished),
    deleted: Number(deleted),
    legacyDeleted: Number(legacy),
    signed: signed === true,
  }));
}

/**
 * Retention for the ClickHouse event store, as for DuckDB (src/store/duckdb/retention-delete.ts):
 * each chained event deleted leaves a tombstone (batch, position, id, digest) and the run is
 * recorded with a signed hash of its tombstones, so `verify` accepts a missing position only
 * when a valid run accounts for it.
 *
 * ClickHouse has no transaction across the three steps; they are ordered so that an interrupted
 * run shows in `verify` as what it is (tombstones naming a run that does not exist) and never
 * as a silent loss: tombstones first, then the lightweight DELETE (synchronous: the rows are gone
 * from every read when it returns), then the run's record.
 */
import type { RetentionRequest, RetentionRun } from '../../core/history.js';
import { OrderedHash, retentionSignature, tombstoneLine } from '../chain/chain-hashes.js';
import { checkRetentionRequest, selectorSql, type BindParameter } from '../retention-selector.js';
import type { ClickHouseEngine } from './clickhouse-engine.js';

/** Events *received* before the cutoff expire (see retention-delete.ts for why not event time). */
export async function deleteExpired(engine: ClickHouseEngine, request: RetentionRequest, id: string, key: Uint8Array | undefined): Promise<RetentionRun> {
  checkRetentionRequest(request);
  const params: Record<string, string | bigint> = { run: id };
  let n = 0;
  const bind: BindParameter = (value) => {
    const name = `r${++n}`;
    params[name] = value;
    return `{${name}:${typeof value === 'bigint' ? 'Int64' : 'String'}}`;
  };
  const condition = [
    `received < ${bind(BigInt(request.cutoff))}`,
    `(${selectorSql(request.selector, bind)})`,
    ...request.except.map((e) => `NOT (${selectorSql(e, bind)})`),
  ].join(' AND ');
  await engine.command(`INSERT INTO event_tombstones (batch_seq, batch_pos, id, digest, run_id) SELECT batch_seq, batch_pos, id, digest, {run:String} FROM events WHERE ${condition}`, params);
  await engine.command(`DELETE FROM events WHERE ${condition}`, params);
  const hash = new OrderedHash();
  let after: [number, number] = [-1, -1];
  for (;;) {
    const rows = await engine.rows(
      `SELECT batch_seq, batch_pos, id, digest FROM event_tombstones WHERE run_id = {run:String} AND (batch_seq, batch_pos) > ({s:Int64}, {p:Int64})
       ORDER BY batch_seq, batch_pos LIMIT 50000`,
      { run: id, s: after[0], p: after[1] },
    );
    for (const [seq, pos, eventId, digest] of rows) hash.add(tombstoneLine(Number(seq), Number(pos), String(eventId), String(digest)));
    const last = rows.at(-1);
    if (rows.length < 50000 || last === undefined) break;
    after = [Number(last[0]), Number(last[1])];
  }
  // Every stored event is chained here (no rows from before the chain): one tombstone per deletion.
  const deleted = hash.count;
  const fields = {
    id,
    rule: request.rule,
    selector: JSON.stringify({ selector: request.selector, except: request.except }),
    cutoff: request.cutoff,
    started: request.now,
    finished: Math.max(request.now, Date.now()),
    deleted,
    legacyDeleted: 0,
    tombstonesHash: hash.hex(),
  };
  const signature = key === undefined ? null : retentionSignature(key, fields);
  await engine.insert('retention_runs', [
    {
      id,
      rule: fields.rule,
      selector: fields.selector,
      cutoff: fields.cutoff,
      started: fields.started,
      finished: fields.finished,
      deleted,
      legacy_deleted: 0,
      tombstones_hash: fields.tombstonesHash,
      signature,
    },
  ]);
  return { id, rule: fields.rule, selector: fields.selector, cutoff: fields.cutoff, started: fields.started, finished: fields.finished, deleted, legacyDeleted: 0, signed: signature !== null };
}

export async function listRuns(engine: ClickHouseEngine, limit: number): Promise<RetentionRun[]> {
  const rows = await engine.rows(
    'SELECT id, rule, selector, cutoff, started, finished, deleted, legacy_deleted, signature IS NOT NULL FROM retention_runs ORDER BY started DESC, id DESC LIMIT {limit:UInt32}',
    { limit },
  );
  return rows.map(([id, rule, selector, cutoff, started, finished, deleted, legacy, signed]) => ({
    id: String(id),
    rule: String(rule),
    selector: String(selector),
    cutoff: Number(cutoff),
    started: Number(started),
    finished: Number(finished),
    deleted: Number(deleted),
    legacyDeleted: Number(legacy),
    signed: signed === true || signed === 1,
  }));
}

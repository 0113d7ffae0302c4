/**
 * The SQL of partitioned detection's state in PostgreSQL (docs/scaling.md, "Detection
 * workers"): each partition's checkpoint, and the ids of detections the alert intake decided on,
 * so a detection a restarted worker delivers again is dropped instead of raising a second alert.
 */
import { run, type Queryable } from './pg-query.js';
import { decodeText } from './pg-text.js';

export async function selectCheckpoint(db: Queryable, partition: number): Promise<string | undefined> {
  const rows = await run<{ checkpoint: string }>(db, 'SELECT checkpoint FROM detect_checkpoints WHERE partition = $1', [partition]);
  const text = rows.rows[0]?.checkpoint;
  // Parameters are escaped on the way in (pg-text.ts); a checkpoint may hold U+FFFF.
  return text === undefined ? undefined : decodeText(text);
}

export async function upsertCheckpoint(db: Queryable, partition: number, checkpoint: string, saved: number): Promise<void> {
  await run(
    db,
    `INSERT INTO detect_checkpoints (partition, checkpoint, saved) VALUES ($1, $2, $3)
     ON CONFLICT (partition) DO UPDATE SET checkpoint = excluded.checkpoint, saved = excluded.saved`,
    [partition, checkpoint, saved],
  );
}

/** Records ids (a repeat is kept once: two batches racing over one id both commit). */
export async function insertDeliveries(db: Queryable, ids: readonly string[], delivered: number): Promise<void> {
  await run(db, `INSERT INTO detect_deliveries (id, delivered) SELECT unnest($1::text[]), $2 ON CONFLICT (id) DO NOTHING`, [[...ids], delivered]);
}

export async function selectDelivered(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const rows = await run<{ id: string }>(db, 'SELECT id FROM detect_deliveries WHERE id = ANY($1::text[])', [[...ids]]);
  return new Set(rows.rows.map((r) => decodeText(r.id)));
}

export async function deleteDeliveries(db: Queryable, before: number): Promise<number> {
  const result = await run(db, 'DELETE FROM detect_deliveries WHERE delivered < $1', [before]);
  return result.rowCount ?? 0;
}

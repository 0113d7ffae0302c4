/**
 * The event chain's records in DuckDB: the generic writer (src/store/chain/chain-writer.ts)
 * writing inside the batch's own transaction, so a batch and its record commit together.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ChainWriter as GenericChainWriter, type ChainOptions, type ChainSink } from '../chain/chain-writer.js';

export { DEFAULT_CHECKPOINT_EVERY_BATCHES, DEFAULT_CHECKPOINT_EVERY_MS, type BatchLink, type ChainOptions } from '../chain/chain-writer.js';

const duckdbChainSink: ChainSink<DuckDBConnection> = {
  async insertBatch(conn, link) {
    await conn.run(
      'INSERT INTO event_batches (seq, count, first_time, last_time, created, events_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [BigInt(link.seq), link.count, BigInt(link.firstTime), BigInt(link.lastTime), BigInt(link.created), link.eventsHash, link.prevHash, link.hash],
    );
  },
  async insertCheckpoint(conn, c) {
    await conn.run('INSERT INTO chain_checkpoints (seq, hash, signed_at, signature) VALUES ($1, $2, $3, $4)', [BigInt(c.seq), c.hash, BigInt(c.signedAt), c.signature]);
  },
};

export class ChainWriter extends GenericChainWriter<DuckDBConnection> {
  /** Continues the chain stored in the file. */
  static async load(conn: DuckDBConnection, options: ChainOptions): Promise<ChainWriter> {
    const head = (await conn.runAndReadAll('SELECT seq, hash FROM event_batches ORDER BY seq DESC LIMIT 1')).getRowsJS()[0];
    const checkpoint = (await conn.runAndReadAll('SELECT seq, signed_at FROM chain_checkpoints ORDER BY seq DESC LIMIT 1')).getRowsJS()[0];
    return new ChainWriter(
      duckdbChainSink,
      {
        batch: head === undefined ? undefined : { seq: Number(head[0]), hash: String(head[1]) },
        checkpoint: checkpoint === undefined ? undefined : { seq: Number(checkpoint[0]), signedAt: Number(checkpoint[1]) },
      },
      options,
    );
  }
}

/**
 * `verifyChain` for every store back end: walks the batches in sequence order and, for each, the
 * rows that claim to belong to it, checking every digest, events hash, batch hash, link and
 * signature (docs/history.md says what each finding means). A store supplies the rows through a
 * `ChainSource` (DuckDB: src/store/duckdb/chain-verifier.ts, ClickHouse:
 * src/store/clickhouse/clickhouse-chain.ts); the database recomputes each row's digest itself,
 * so only ids and hashes cross into JavaScript.
 *
 * Bounded memory: batches are read a page at a time, and the rows of a page of batches (about
 * PAGE_EVENTS) in one read. Retention tombstones are checked in one ordered pass first, so only
 * the ids of valid runs are kept.
 */
import { MAX_LISTED_PROBLEMS, type ChainProblem, type ChainProblemKind, type ChainReport } from '../../core/history.js';
import { GENESIS_HASH, OrderedHash, batchHash, type BatchFields, checkpointSignature, retentionSignature, sameSignature, tombstoneLine, type RetentionRunFields } from './chain-hashes.js';

/** Events read per page: the database recomputes the digests, so a row is ~200 bytes of JS (ids and hashes). */
export const PAGE_EVENTS = 50_000;
const PAGE_BATCHES = 1000;

export interface BatchRow extends BatchFields {
  readonly hash: string;
}

/** A stored event as the verifier sees it. */
export interface ChainEventRow {
  /** Where the row sits in the store's own order of writing (DuckDB: rowid); tells moved rows apart. */
  readonly order: bigint;
  readonly pos: number | null;
  readonly id: string;
  /** The digest stored with the row, and the one the database computes from its columns now. */
  readonly stored: string | null;
  readonly computed: string;
}

export interface Tombstone {
  readonly pos: number;
  readonly id: string;
  readonly digest: string;
  readonly runId: string;
}

export interface StoredCheckpoint {
  readonly hash: string;
  readonly signedAt: number;
  readonly signature: string | null;
}

export interface StoredRetentionRun extends RetentionRunFields {
  readonly signature: string | null;
}

/** What the verifier reads from a store; ranges of batches are inclusive. */
export interface ChainSource {
  /** Events stored without a chain (before it began), and how many were recorded when it began. */
  legacyEvents(): Promise<{ readonly found: number; readonly recorded: number }>;
  /** Up to `limit` events naming a batch that does not exist, in batch and position order. */
  orphanEvents(limit: number): Promise<readonly { readonly id: string; readonly seq: number; readonly pos: number | null }[]>;
  /** Up to `limit` tombstones naming a batch that does not exist. */
  strayTombstones(limit: number): Promise<readonly { readonly seq: number; readonly pos: number; readonly id: string }[]>;
  /** Up to `limit` batches after `after`, in sequence order. */
  batches(after: number, limit: number): Promise<readonly BatchRow[]>;
  /** The events of batches first..last, by batch, each list in position order. */
  events(first: number, last: number): Promise<Map<number, ChainEventRow[]>>;
  tombstones(first: number, last: number): Promise<Map<number, Tombstone[]>>;
  checkpoints(first: number, last: number): Promise<Map<number, StoredCheckpoint>>;
  /** Checkpoints naming a batch after `head` (the last batch walked) or below 1, in order. */
  checkpointsBeyond(head: number): Promise<readonly number[]>;
  retentionRuns(): Promise<readonly StoredRetentionRun[]>;
  /** Every tombstone, ordered by run id, batch and position. */
  tombstoneLines(): AsyncIterable<{ readonly runId: string; readonly seq: number; readonly pos: number; readonly id: string; readonly digest: string }>;
}

class Findings {
  readonly list: ChainProblem[] = [];
  readonly counts: Partial<Record<ChainProblemKind, number>> = {};
  truncated = false;

  add(problem: ChainProblem): void {
    this.counts[problem.kind] = (this.counts[problem.kind] ?? 0) + 1;
    if (this.list.length < MAX_LISTED_PROBLEMS) this.list.push(problem);
    else this.truncated = true;
  }
}

/** "3", "3-7": positions as a person reads them. */
function span(from: number, to: number): string {
  return from === to ? `position ${from}` : `positions ${from}-${to} (${to - from + 1} events)`;
}

export async function verifyChainFrom(source: ChainSource, key: Uint8Array | undefined): Promise<ChainReport> {
  const started = performance.now();
  const found = new Findings();
  const validRuns = await checkRetentionRuns(source, key, found);

  // Rows outside the chain: legacy rows (before v4) are allowed up to the number recorded at the
  // upgrade, less those retention deleted; rows naming a batch that does not exist are inserted.
  const { found: legacy, recorded } = await source.legacyEvents();
  const legacyDeleted = validRuns.legacyDeleted;
  if (legacy > recorded - legacyDeleted) {
    found.add({
      kind: 'unchained-inserted',
      message: `${legacy - (recorded - legacyDeleted)} event(s) without a chain (no batch, no digest) appeared after the chain began; there were ${recorded} before the upgrade, ${legacyDeleted} deleted by retention since. Find them with: SELECT id FROM events WHERE batch_seq IS NULL`,
    });
  }
  const orphans = await source.orphanEvents(MAX_LISTED_PROBLEMS);
  for (const { id, seq, pos } of orphans) {
    found.add({ kind: 'event-inserted', message: `event ${id} claims batch ${seq} position ${pos ?? 'none'}, but the chain has no batch ${seq}`, eventId: id, batch: seq });
  }
  const strayTombstones = await source.strayTombstones(MAX_LISTED_PROBLEMS);
  for (const { seq, pos, id } of strayTombstones) {
    found.add({ kind: 'tombstone-invalid', message: `a tombstone for event ${id} names batch ${seq} position ${pos}, but the chain has no batch ${seq}`, eventId: id, batch: seq });
  }

  let batches = 0;
  let events = 0;
  let tombstones = 0;
  let checkpoints = 0;
  let previous: BatchRow | undefined;
  let lastSigned: { batch: number; signedAt: number } | undefined;
  for (;;) {
    const page = await source.batches(previous?.seq ?? 0, PAGE_BATCHES);
    if (page.length === 0) break;
    for (const group of groupsOfEvents(page)) {
      const first = (group[0] as BatchRow).seq;
      const last = (group.at(-1) as BatchRow).seq;
      const rows = await source.events(first, last);
      const stones = await source.tombstones(first, last);
      const marks = await source.checkpoints(first, last);
      for (const batch of group) {
        batches++;
        const expected = (previous?.seq ?? 0) + 1;
        if (batch.seq > expected) {
          found.add({
            kind: 'batch-deleted',
            message: `batch${batch.seq - 1 > expected ? `es ${expected}-${batch.seq - 1} are` : ` ${expected} is`} missing from the chain (deleted with its events)`,
            batch: expected,
          });
        } else if (batch.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
          found.add({ kind: 'chain-broken', message: `batch ${batch.seq} does not link to batch ${expected - 1}: the previous batch was replaced or edited`, batch: batch.seq });
        }
        const recomputed = batchHash(batch);
        if (recomputed !== batch.hash) {
          found.add({ kind: 'batch-edited', message: `batch ${batch.seq}'s record was edited: its hash does not match its count, times or events hash`, batch: batch.seq });
        }
        const mark = marks.get(batch.seq);
        if (mark !== undefined) {
          checkpoints++;
          marks.delete(batch.seq);
          if (mark.hash !== recomputed) {
            found.add({ kind: 'checkpoint-mismatch', message: `the checkpoint at batch ${batch.seq} does not match the chain there: batch ${batch.seq} or an earlier one was rewritten`, batch: batch.seq });
          }
          if (key !== undefined) {
            if (sameSignature(checkpointSignature(key, { seq: batch.seq, hash: mark.hash, signedAt: mark.signedAt }), mark.signature)) {
              if (mark.hash === recomputed) lastSigned = { batch: batch.seq, signedAt: mark.signedAt };
            } else found.add({ kind: 'checkpoint-signature', message: `the checkpoint at batch ${batch.seq} has ${mark.signature === null ? 'no' : 'a wrong'} signature under this data folder's key: checkpoints were forged or the chain rewritten`, batch: batch.seq });
          }
        }
        const result = checkBatchEvents(batch, rows.get(batch.seq) ?? [], stones.get(batch.seq) ?? [], validRuns.ids, found);
        events += result.events;
        tombstones += result.tombstones;
        previous = batch;
      }
      // Checkpoints left over name batches that are not in the chain.
      for (const [seq] of marks) {
        checkpoints++;
        found.add({ kind: 'checkpoint-mismatch', message: `there is a checkpoint at batch ${seq} but no batch ${seq}: it was deleted`, batch: seq });
      }
    }
  }
  const head = previous;
  const beyond = await source.checkpointsBeyond(head?.seq ?? 0);
  for (const seq of beyond) {
    checkpoints++;
    if (seq > (head?.seq ?? 0)) {
      found.add({ kind: 'chain-truncated', message: `a checkpoint was made at batch ${seq}, but the chain ends at batch ${head?.seq ?? 0}: the newest batches were deleted`, batch: seq });
    } else {
      found.add({ kind: 'checkpoint-mismatch', message: `a checkpoint names batch ${seq}, which cannot exist`, batch: seq });
    }
  }

  return {
    ok: found.list.length === 0,
    checkedAt: Date.now(),
    tookMs: Math.round(performance.now() - started),
    batches,
    events,
    legacyEvents: legacy,
    tombstones,
    retentionRuns: validRuns.total,
    checkpoints,
    signaturesChecked: key !== undefined,
    head: head === undefined ? undefined : { batch: head.seq, hash: head.hash },
    lastSignedCheckpoint: lastSigned,
    unsignedBatches: key === undefined ? batches : (head?.seq ?? 0) - (lastSigned?.batch ?? 0),
    problems: found.list,
    problemCounts: found.counts,
    problemsTruncated: found.truncated,
  };
}

/** Position by position: each row's digest, the gaps (tombstoned or deleted), the events hash. */
function checkBatchEvents(batch: BatchRow, rows: readonly ChainEventRow[], stones: readonly Tombstone[], validRuns: ReadonlySet<string>, found: Findings): { events: number; tombstones: number } {
  const where = (row: ChainEventRow) => `batch ${batch.seq} position ${row.pos ?? 'none'}`;
  const byPos = new Map<number, ChainEventRow>();
  let explained = false;
  for (const row of rows) {
    if (row.pos === null || row.pos < 0 || row.pos >= batch.count || byPos.has(row.pos)) {
      found.add({ kind: 'event-inserted', message: `event ${row.id} was added to batch ${batch.seq}: ${row.pos !== null && byPos.has(row.pos) ? `position ${row.pos} is taken by event ${byPos.get(row.pos)?.id}` : `the batch has ${batch.count} positions and this row claims ${row.pos ?? 'none'}`}`, eventId: row.id, batch: batch.seq, ...(row.pos === null ? {} : { position: row.pos }) });
      explained = true;
      continue;
    }
    byPos.set(row.pos, row);
    if (row.stored !== row.computed) {
      found.add({ kind: 'event-edited', message: `event ${row.id} (${where(row)}) was edited: its stored columns no longer match its digest`, eventId: row.id, batch: batch.seq, position: row.pos });
      explained = true;
    }
  }
  const byStone = new Map<number, Tombstone>();
  for (const stone of stones) {
    if (stone.pos < 0 || stone.pos >= batch.count || byStone.has(stone.pos)) {
      found.add({ kind: 'tombstone-invalid', message: `a tombstone for event ${stone.id} names batch ${batch.seq} position ${stone.pos}, which ${byStone.has(stone.pos) ? 'already has one' : 'the batch does not have'}`, eventId: stone.id, batch: batch.seq, position: stone.pos });
      continue;
    }
    byStone.set(stone.pos, stone);
  }

  const hash = new OrderedHash();
  let gapFrom = -1;
  let events = 0;
  let tombstones = 0;
  const closeGap = (end: number) => {
    if (gapFrom < 0) return;
    found.add({ kind: 'event-deleted', message: `batch ${batch.seq}: ${span(gapFrom, end)} deleted outside retention`, batch: batch.seq, position: gapFrom });
    explained = true;
    gapFrom = -1;
  };
  for (let pos = 0; pos < batch.count; pos++) {
    const row = byPos.get(pos);
    const stone = byStone.get(pos);
    if (row !== undefined) {
      closeGap(pos - 1);
      events++;
      hash.add(row.stored ?? '');
      if (stone !== undefined) {
        found.add({ kind: 'tombstone-invalid', message: `event ${row.id} (batch ${batch.seq} position ${pos}) is still stored but has a retention tombstone`, eventId: row.id, batch: batch.seq, position: pos });
        explained = true;
      }
    } else if (stone !== undefined && validRuns.has(stone.runId)) {
      closeGap(pos - 1);
      tombstones++;
      hash.add(stone.digest);
    } else {
      if (stone !== undefined) {
        found.add({ kind: 'tombstone-invalid', message: `event ${stone.id} (batch ${batch.seq} position ${pos}) was deleted under retention run ${stone.runId}, which is not a valid run`, eventId: stone.id, batch: batch.seq, position: pos, runId: stone.runId });
      }
      if (gapFrom < 0) gapFrom = pos;
      hash.add('');
    }
  }
  closeGap(batch.count - 1);

  if (hash.hex() !== batch.eventsHash && !explained) {
    // Every row matches its digest and every position is accounted for, yet the order of
    // digests differs: rows were moved (their stored order, `order`, is the order written) or rows
    // were rewritten together with their digests.
    const physical = [...byPos.values()].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    const sorted = physical.map((r) => r.pos as number).sort((a, b) => a - b);
    const moved = physical.filter((r, i) => r.pos !== sorted[i]);
    for (const row of moved) {
      found.add({ kind: 'event-reordered', message: `event ${row.id} was moved within batch ${batch.seq}: it now claims position ${row.pos} but was written as position ${sorted[physical.indexOf(row)]}`, eventId: row.id, batch: batch.seq, position: row.pos as number });
    }
    if (moved.length === 0) {
      found.add({ kind: 'batch-events-changed', message: `batch ${batch.seq}: the events' digests do not give the batch's events hash; events were edited together with their digests`, batch: batch.seq });
    }
  }
  return { events, tombstones };
}

/** Consecutive batches holding about PAGE_EVENTS events together (a bigger batch alone). */
function* groupsOfEvents(page: readonly BatchRow[]): Generator<BatchRow[]> {
  let group: BatchRow[] = [];
  let size = 0;
  for (const batch of page) {
    if (group.length > 0 && size + batch.count > PAGE_EVENTS) {
      yield group;
      group = [];
      size = 0;
    }
    group.push(batch);
    size += batch.count;
  }
  if (group.length > 0) yield group;
}

/**
 * Retention runs whose record, signature and tombstone set are intact: only their tombstones
 * account for deleted events. One ordered pass over all tombstones, grouped by run.
 */
async function checkRetentionRuns(source: ChainSource, key: Uint8Array | undefined, found: Findings): Promise<{ ids: Set<string>; total: number; legacyDeleted: number }> {
  const runs = await source.retentionRuns();
  const hashes = new Map<string, OrderedHash>();
  for await (const { runId, seq, pos, id, digest } of source.tombstoneLines()) {
    let hash = hashes.get(runId);
    if (hash === undefined) hashes.set(runId, (hash = new OrderedHash()));
    hash.add(tombstoneLine(seq, pos, id, digest));
  }
  const ids = new Set<string>();
  let legacyDeleted = 0;
  for (const run of runs) {
    const signature = run.signature;
    const own = hashes.get(run.id) ?? new OrderedHash();
    hashes.delete(run.id);
    const count = own.count;
    const problems: string[] = [];
    if (own.hex() !== run.tombstonesHash) problems.push('its tombstones were added, removed or edited');
    if (count + run.legacyDeleted !== run.deleted) problems.push(`it records ${run.deleted} deletions but has ${count} tombstones and ${run.legacyDeleted} unchained deletions`);
    if (key !== undefined && !sameSignature(retentionSignature(key, run), signature)) {
      problems.push(`its signature is ${signature === null ? 'missing' : 'wrong'} under this data folder's key`);
    }
    if (problems.length > 0) {
      found.add({ kind: 'retention-run-invalid', message: `retention run ${run.id} (${run.rule}) is not valid: ${problems.join('; ')}`, runId: run.id });
      continue;
    }
    ids.add(run.id);
    legacyDeleted += run.legacyDeleted;
  }
  for (const [runId, hash] of hashes) {
    found.add({ kind: 'tombstone-invalid', message: `${hash.count} tombstone(s) name retention run ${runId}, which does not exist`, runId });
  }
  return { ids, total: runs.length, legacyDeleted };
}

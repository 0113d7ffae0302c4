/**
 * Stored history's integrity and lifetime: what `vigil verify` reports about the event chain,
 * and what retention deletes and records. See docs/history.md.
 */

/** Every way the stored chain can disagree with what was written. */
export type ChainProblemKind =
  /** A row's columns no longer give the digest stored with it. */
  | 'event-edited'
  /** A position of a batch has no row and no valid retention tombstone. */
  | 'event-deleted'
  /** Rows of a batch are in a different order than they were written in. */
  | 'event-reordered'
  /** A row the chain does not account for: unknown batch, position beyond the batch, a duplicate. */
  | 'event-inserted'
  /** The rows' digests do not give the batch's events hash, though each row matches its digest: rows edited together with their digests. */
  | 'batch-events-changed'
  /** A batch row's hash does not match its own fields. */
  | 'batch-edited'
  /** Sequence numbers missing from the chain. */
  | 'batch-deleted'
  /** A batch's link to the previous batch is not that batch's hash. */
  | 'chain-broken'
  /** A checkpoint's hash is not the chain's hash at its batch, or its batch is gone. */
  | 'checkpoint-mismatch'
  /** A checkpoint's signature is missing or wrong under the data folder's key. */
  | 'checkpoint-signature'
  /** The chain ends before a checkpoint that was signed for a later batch. */
  | 'chain-truncated'
  /** A retention run's record, signature or tombstone set was changed. */
  | 'retention-run-invalid'
  /** A tombstone that no valid retention run accounts for, or that disagrees with the chain. */
  | 'tombstone-invalid'
  /** Rows without a chain appeared after the chain began (more than were there at the upgrade). */
  | 'unchained-inserted';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  /** One line a person can act on, naming the event, batch, positions or run. */
  readonly message: string;
  readonly eventId?: string;
  readonly batch?: number;
  readonly position?: number;
  readonly runId?: string;
}

export interface ChainReport {
  /** No problem found. */
  readonly ok: boolean;
  readonly checkedAt: number;
  readonly tookMs: number;
  readonly batches: number;
  /** Chained events checked. */
  readonly events: number;
  /** Events stored before the chain existed (schema v3 and older): not covered by it. */
  readonly legacyEvents: number;
  /** Positions accounted for by retention tombstones. */
  readonly tombstones: number;
  readonly retentionRuns: number;
  readonly checkpoints: number;
  /** False when verified without the data folder's key: signatures were not checked. */
  readonly signaturesChecked: boolean;
  /** The newest batch: record its hash elsewhere to detect a truncation of the chain's tail. */
  readonly head: { readonly batch: number; readonly hash: string } | undefined;
  /** The newest checkpoint whose signature was checked and valid. */
  readonly lastSignedCheckpoint: { readonly batch: number; readonly signedAt: number } | undefined;
  /** Batches after the last signed checkpoint: the part of the chain no signature vouches for yet. */
  readonly unsignedBatches: number;
  readonly problems: readonly ChainProblem[];
  /** How many problems of each kind, including those beyond the listed ones. */
  readonly problemCounts: Readonly<Partial<Record<ChainProblemKind, number>>>;
  /** More problems were found than are listed (at most MAX_LISTED_PROBLEMS). */
  readonly problemsTruncated: boolean;
}

/** Problems listed in a report; beyond this only counted, so a wrecked store still gives a bounded answer. */
export const MAX_LISTED_PROBLEMS = 1000;

/** Which events a retention rule covers; an absent key matches every value. */
export interface RetentionSelector {
  readonly tenant?: string | undefined;
  readonly sourceKind?: string | undefined;
  readonly format?: string | undefined;
}

/**
 * One deletion: events received before `cutoff` that match `selector` and none of `except`
 * (the more specific rules, which decide for their own events).
 */
export interface RetentionRequest {
  /** The rule's name as shown in `vigil retention` (e.g. `tenant=acme,sourceKind=file`). */
  readonly rule: string;
  readonly selector: RetentionSelector;
  readonly except: readonly RetentionSelector[];
  /** Epoch ms: events received before it are deleted. */
  readonly cutoff: number;
  /** When the run started, epoch ms. */
  readonly now: number;
}

export interface RetentionRun {
  readonly id: string;
  readonly rule: string;
  /** The selector and exceptions as JSON, as signed. */
  readonly selector: string;
  readonly cutoff: number;
  readonly started: number;
  readonly finished: number;
  /** Events deleted, chained and legacy. */
  readonly deleted: number;
  /** Of those, events stored before the chain existed (no tombstone is possible for them). */
  readonly legacyDeleted: number;
  /** Whether the run was signed with the data folder's key. */
  readonly signed: boolean;
}

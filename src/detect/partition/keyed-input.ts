/**
 * What travels from the stateless detection stage to the partitions that hold correlation
 * windows and behaviour baselines (docs/scaling.md, "Detection workers").
 *
 * A base-rule match that a stateful rule reads becomes one `KeyedInput` per stateful target,
 * carrying only what that target's windows read. Its partition is a stable hash of (tenant,
 * target, group key) modulo the partition count, so every input of one group, from whichever
 * rule, lands on one partition, and a group's state lives on one worker.
 */
import type { SigmaLevel } from '../sigma/sigma-types.js';

/** A base-rule match for one stateful target. */
export interface KeyedInput {
  readonly kind: 'input';
  readonly tenant: string;
  /** What holds the state: `c:` and a correlation family's id, or `b:` and a behaviour rule's id. */
  readonly target: string;
  /** The group key within the target ('' when the target is not split by key). */
  readonly key: string;
  readonly partition: number;
  /** The base rule that matched, as correlations and behaviour rules refer to it (level: for a correlation without one). */
  readonly rule: { readonly id: string; readonly name?: string | undefined; readonly level?: SigmaLevel | undefined };
  /** Event time, epoch ms. */
  readonly time: number;
  readonly eventId: string;
  /** The values the target reads (group-by, counted or summed field, place…), by the names the rules use. */
  readonly fields: Readonly<Record<string, string | number>>;
  /**
   * The tenant's event time before this match: the newest time on any match the stateless
   * stage had seen. The partition first closes the windows that ended before it, as one
   * process would have by then.
   */
  readonly watermark: number;
}

/** Event time moved on: close the windows that ended before `watermark` (sent to every partition now and then). */
export interface WatermarkMark {
  readonly kind: 'watermark';
  readonly tenant: string;
  readonly partition: number;
  readonly watermark: number;
}

/** End of a replay (`vigil scan`, a test): close every open window of the tenant. */
export interface FlushMark {
  readonly kind: 'flush';
  readonly tenant: string;
  readonly partition: number;
}

export type PartitionRecord = KeyedInput | WatermarkMark | FlushMark;

/**
 * The partition of a (tenant, target, key): 32-bit FNV-1a over the UTF-16 code units, modulo
 * the partition count. Stable across processes, versions and machines, because a checkpoint
 * written by one worker is read by another.
 */
export function partitionOf(tenant: string, target: string, key: string, partitions: number): number {
  let h = 0x811c9dc5;
  const mix = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0;
    h = Math.imul(h, 0x01000193); // a NUL between the parts: ('ab','c') and ('a','bc') differ
  };
  mix(tenant);
  mix(target);
  mix(key);
  return (h >>> 0) % partitions;
}

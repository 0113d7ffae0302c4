/**
 * Messages between a `WorkerStore` (the calling thread) and the worker that owns the DuckDB
 * store. Calls name a Store method from a fixed list; event batches travel as JSON text, which
 * costs the calling thread one `JSON.stringify` instead of a structured clone of every object.
 */
import type { ErrorCode } from '../../core/errors.js';

export const STORE_METHODS = [
  'appendEvents',
  'appendAlerts',
  'readCheckpoint',
  'search',
  'aggregate',
  'countEvents',
  'scanEvents',
  'profileEvents',
  'entityStats',
  'createToken',
  'findTokenByHash',
  'listTokens',
  'revokeToken',
  'setRuleState',
  'listRuleStates',
  'listAllRuleStates',
  'listAlerts',
  'getAlert',
  'applyAlertBatch',
  'updateAlert',
  'openAlertGroups',
  'saveSuppression',
  'listSuppressions',
  'deleteSuppression',
  'activeSuppressions',
  'ruleDays',
  'alertSummary',
  'sourceActivity',
  'saveCase',
  'getCase',
  'listCases',
  'verifyChain',
  'enforceRetention',
  'listRetentionRuns',
  'createUser',
  'getUser',
  'findUserByName',
  'listUsers',
  'updateUser',
  'deleteUser',
  'createSession',
  'findSession',
  'touchSession',
  'deleteSession',
  'deleteUserSessions',
  'deleteExpiredSessions',
  'appendAudit',
  'listAudit',
  'close',
] as const;

export type StoreMethod = (typeof STORE_METHODS)[number];

export interface StoreCall {
  readonly id: number;
  readonly method: StoreMethod;
  readonly args: readonly unknown[];
  /** For appendEvents: the batch as JSON text (args[0] is then undefined). */
  readonly eventsJson?: string;
}

export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly where?: string | undefined;
}

export type StoreReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** The worker's first message: the store opened, or why it could not be. */
export type StoreReady = { readonly ready: true } | { readonly ready: false; readonly error: SerializedError };

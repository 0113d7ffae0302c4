/**
 * One Store over two back ends: events in an EventStore (ClickHouse when scaled out), state in a
 * StateStore (PostgreSQL). The pipeline, the API and the conformance suite see one Store, so
 * nothing above the store seam knows the deployment. Each method goes to exactly one back end;
 * the method lists are checked by the compiler against the interfaces, so a method added to
 * either interface cannot be forgotten here.
 */
import type { EventStore, StateStore, Store } from '../core/store.js';

type Methods<T> = Record<Exclude<keyof T, 'close'>, true>;

const EVENT_METHODS: Methods<EventStore> = {
  appendEvents: true, readCheckpoint: true, search: true, aggregate: true, countEvents: true,
  eventsByIds: true, scanEvents: true, entityStats: true, profileEvents: true,
  sourceActivity: true, verifyChain: true, enforceRetention: true, listRetentionRuns: true,
};

const STATE_METHODS: Methods<StateStore> = {
  createToken: true, findTokenByHash: true, listTokens: true, revokeToken: true,
  appendAlerts: true, listAlerts: true, getAlert: true, applyAlertBatch: true, updateAlert: true,
  openAlertGroups: true, saveSuppression: true, listSuppressions: true, deleteSuppression: true,
  activeSuppressions: true, saveCase: true, getCase: true, listCases: true, ruleDays: true,
  alertSummary: true, listRuleStates: true, listAllRuleStates: true, setRuleState: true,
  createUser: true, getUser: true, findUserByName: true, listUsers: true, updateUser: true,
  deleteUser: true, createSession: true, findSession: true, touchSession: true,
  deleteSession: true, deleteUserSessions: true, deleteExpiredSessions: true, appendAudit: true,
  listAudit: true,
};

/** A Store whose event methods go to `events` and whose state methods go to `state`; `close` closes both. */
export function splitStore(events: EventStore, state: StateStore): Store {
  const store: Record<string, unknown> = {};
  for (const name of Object.keys(EVENT_METHODS) as (keyof typeof EVENT_METHODS)[]) {
    store[name] = (events[name] as (...args: unknown[]) => unknown).bind(events);
  }
  for (const name of Object.keys(STATE_METHODS) as (keyof typeof STATE_METHODS)[]) {
    store[name] = (state[name] as (...args: unknown[]) => unknown).bind(state);
  }
  store['close'] = async (): Promise<void> => {
    // Both are closed even when one fails; the first failure is reported.
    const results = await Promise.allSettled([events.close(), state.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return store as unknown as Store;
}

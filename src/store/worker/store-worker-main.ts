/**
 * The worker side of `WorkerStore`: owns the DuckDB store and answers calls one message at a
 * time (writes are serialised inside the store; reads may overlap them, as in one thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Event } from '../../core/event.js';
import { isVigilError } from '../../core/errors.js';
import type { Store } from '../../core/store.js';
import { DuckDbStore, type DuckDbOpenOptions } from '../duckdb/duckdb-store.js';
import { STORE_METHODS, type SerializedError, type StoreCall, type StoreReady, type StoreReply } from './store-worker-protocol.js';

function serialize(error: unknown): SerializedError {
  if (isVigilError(error)) return { code: error.code, message: error.message, where: error.where };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

const port = parentPort;
if (!port) throw new Error('store-worker-main runs only as a worker thread');

let store: Store;
try {
  store = await DuckDbStore.open(workerData as DuckDbOpenOptions);
  port.postMessage({ ready: true } satisfies StoreReady);
} catch (error) {
  port.postMessage({ ready: false, error: serialize(error) } satisfies StoreReady);
  process.exit(0);
}

const allowed = new Set<string>(STORE_METHODS);

port.on('message', (call: StoreCall) => {
  void (async () => {
    let reply: StoreReply;
    try {
      if (!allowed.has(call.method)) throw new Error(`unknown store method ${String(call.method)}`);
      const args = call.eventsJson === undefined ? call.args : [JSON.parse(call.eventsJson) as Event[], ...call.args.slice(1)];
      const method = store[call.method] as (...a: unknown[]) => Promise<unknown>;
      const value = await method.apply(store, [...args]);
      reply = { id: call.id, ok: true, value };
    } catch (error) {
      reply = { id: call.id, ok: false, error: serialize(error) };
    }
    port.postMessage(reply);
    if (call.method === 'close') port.close();
  })();
});

/**
 * The HTTP tests' in-memory store computes the console's summaries itself; the part of the
 * conformance suite about them holds it to the same answers as the real stores.
 */
import { beforeEach, describe } from 'node:test';
import { consoleSemantics } from '../store/store-console.suite.js';
import { MemoryStore } from './memory-store.test-support.js';

describe('MemoryStore (HTTP test support)', () => {
  let store = new MemoryStore();
  beforeEach(() => {
    store = new MemoryStore();
  });
  consoleSemantics({
    get store() {
      return store;
    },
    ids: () => Promise.reject(new Error('the memory store does not evaluate queries')),
  });
});

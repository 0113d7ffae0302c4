/**
 * A real Vigil HTTP server over a real DuckDB file in a temporary folder, with one token per
 * role in tenant `acme`: for the tests of accounts, sessions and the audit trail, which must
 * hold on the store that production uses.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '../core/metrics.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { createToken } from './auth/tokens.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from './http-server.js';
import { RecordingSink, TEST_LIMITS } from './test-server.test-support.js';

export interface DuckDbTestServer {
  readonly url: string;
  readonly server: HttpServer;
  readonly store: DuckDbStore;
  readonly metrics: Metrics;
  readonly dir: string;
  readonly tokens: { readonly ingest: string; readonly analyst: string; readonly admin: string };
  close(): Promise<void>;
}

export async function startDuckDbTestServer(overrides: Partial<HttpServerOptions> = {}): Promise<DuckDbTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-accounts-'));
  const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), memoryLimit: '256MB', threads: 1 });
  const metrics = new Metrics();
  const tenant = 'acme';
  const [ingest, analyst, admin] = [
    await createToken(store, { name: 'shipper', role: 'ingest', tenant }),
    await createToken(store, { name: 'analyst-token', role: 'analyst', tenant }),
    await createToken(store, { name: 'admin-token', role: 'admin', tenant }),
  ];
  let server: HttpServer;
  try {
    server = await startHttpServer({ listen: '127.0.0.1:0', tenant, limits: TEST_LIMITS, sink: new RecordingSink(), store, metrics, ...overrides });
  } catch (error) {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: server.url,
    server,
    store,
    metrics,
    dir,
    tokens: { ingest: ingest.secret, analyst: analyst.secret, admin: admin.secret },
    close: async () => {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

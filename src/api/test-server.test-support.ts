/**
 * A real Vigil HTTP server on 127.0.0.1:0 for tests, with an in-memory store, a sink that
 * records what reached it (and can be made slow or overloaded), and one token per role.
 */
import type { Event } from '../core/event.js';
import type { EventSink } from '../core/source.js';
import { Metrics } from '../core/metrics.js';
import { createToken } from './auth/tokens.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from './http-server.js';
import { MemoryStore } from './memory-store.test-support.js';
import { computeCoverage } from '../detect/coverage.js';
import { ResponseEngine } from '../actions/response/response-engine.js';
import { LogsourceMap } from '../detect/sigma/logsource-map.js';
import { EMPTY_RULE_SET } from '../detect/sigma/rule-loader.js';

export class RecordingSink implements EventSink {
  readonly batches: Event[][] = [];
  /** Runs before a batch is accepted; reject to refuse it. */
  gate: (events: readonly Event[]) => Promise<void> = async () => {};
  calls = 0;

  async submit(events: readonly Event[]): Promise<void> {
    this.calls++;
    await this.gate(events);
    this.batches.push([...events]);
  }

  get events(): Event[] {
    return this.batches.flat();
  }
}

export interface TestServer {
  readonly url: string;
  readonly server: HttpServer;
  readonly sink: RecordingSink;
  readonly store: MemoryStore;
  readonly metrics: Metrics;
  /** A secret per role, all in tenant `acme`. */
  readonly tokens: { readonly ingest: string; readonly analyst: string; readonly admin: string };
  close(): Promise<void>;
}

export const TEST_LIMITS = { maxBodyBytes: 1024 * 1024, maxInflatedBytes: 4 * 1024 * 1024, maxEventBytes: 64 * 1024, maxJsonDepth: 16 };

export async function startTestServer(overrides: Partial<HttpServerOptions> = {}): Promise<TestServer> {
  const store = new MemoryStore();
  const sink = new RecordingSink();
  const metrics = new Metrics();
  const tenant = 'acme';
  const [ingest, analyst, admin] = await Promise.all([
    createToken(store, { name: 'shipper', role: 'ingest', tenant }),
    createToken(store, { name: 'analyst', role: 'analyst', tenant }),
    createToken(store, { name: 'admin', role: 'admin', tenant }),
  ]);
  const server = await startHttpServer({
    listen: '127.0.0.1:0',
    tenant: 'default',
    limits: TEST_LIMITS,
    sink,
    store,
    metrics,
    // The coverage and response routes exist on every test server, so the route-by-route auth test sees them.
    response: ResponseEngine.open({ playbooks: [] }),
    coverage: async () => computeCoverage(EMPTY_RULE_SET, LogsourceMap.load(), await store.profileEvents('default', [])),
    ...overrides,
  });
  return {
    url: server.url,
    server,
    sink,
    store,
    metrics,
    tokens: { ingest: ingest.secret, analyst: analyst.secret, admin: admin.secret },
    close: () => server.close(),
  };
}

/** The value of one counter sample, 0 when absent. */
export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected));
  return sample?.value ?? 0;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

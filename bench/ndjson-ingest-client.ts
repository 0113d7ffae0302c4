/**
 * Worker process: `concurrency` clients, each POSTing NDJSON batches back to back over its own
 * keep-alive connection until the deadline. Bodies are rendered before the clock starts.
 * A 429 or 503 (Vigil's "overloaded") is counted and retried after a short pause, as a
 * well-behaved shipper would.
 */
import { Agent, request } from 'node:http';
import { summariseLatencies } from './latency-percentiles.js';
import { serveLoadWorker } from './load-worker.js';
import { ndjsonBody } from './ndjson-events.js';
import type { IngestLoadConfig, IngestLoadProgress, IngestLoadResult } from './ndjson-ingest-load.js';

const DISTINCT_BODIES = 32;
const OVERLOAD_PAUSE_MS = 50;

interface Answer {
  readonly status: number | 'error';
  readonly latencyMs: number;
  readonly error?: string;
}

function post(agent: Agent, url: URL, token: string, body: Buffer): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-ndjson',
        'content-length': body.length,
      },
    }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, latencyMs: performance.now() - started }));
      res.once('error', (error) => resolve({ status: 'error', latencyMs: performance.now() - started, error: error.message }));
    });
    req.once('error', (error) => resolve({ status: 'error', latencyMs: performance.now() - started, error: error.message }));
    req.end(body);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

serveLoadWorker<IngestLoadConfig, IngestLoadProgress, IngestLoadResult>(async (config, report) => {
  const url = new URL('/api/v1/ingest', config.url);
  const now = Date.now();
  const bodies: Buffer[] = [];
  for (let i = 0; i < DISTINCT_BODIES; i++) {
    bodies.push(ndjsonBody(config.batchSize, config.seed + i, now + i * config.batchSize));
  }
  const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency });

  return async () => {
    const started = performance.now();
    const deadline = started + config.durationSec * 1000;
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let acked = 0;
    let requests = 0;
    let bodyBytes = 0;
    let firstError: string | undefined;
    const ticker = setInterval(
      () => report({ acked, elapsedSec: (performance.now() - started) / 1000 }),
      1000,
    );

    const client = async (index: number): Promise<void> => {
      let next = index;
      while (performance.now() < deadline) {
        const body = bodies[next++ % bodies.length];
        if (!body) break;
        const answer = await post(agent, url, config.token, body);
        requests++;
        bodyBytes += body.length;
        const key = String(answer.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (typeof answer.status === 'number' && answer.status >= 200 && answer.status < 300) {
          acked += config.batchSize;
          latencies.push(answer.latencyMs);
          continue;
        }
        firstError ??= answer.error ?? `HTTP ${answer.status}`;
        if (answer.status === 401 || answer.status === 404) throw new Error(`POST ${url.pathname} answered ${answer.status}`);
        await sleep(OVERLOAD_PAUSE_MS);
      }
    };
    try {
      await Promise.all(Array.from({ length: config.concurrency }, (_, i) => client(i)));
    } finally {
      clearInterval(ticker);
      agent.destroy();
    }
    return {
      ackedEvents: acked,
      requests,
      statuses,
      elapsedSec: (performance.now() - started) / 1000,
      latency: summariseLatencies(latencies),
      bodyBytes,
      ...(firstError === undefined ? {} : { firstError }),
    };
  };
});

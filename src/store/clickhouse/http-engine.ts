/**
 * A ClickHouse server over HTTP (@clickhouse/client): the production path of the scale-out
 * deployment (docs/scaling.md, "ClickHouse events"). Deliberately thin: each call is one client
 * call, parameters go as `query_params` (bound by the server), rows come back as
 * JSONCompactEachRow. There is no ClickHouse server on the development machine, so this file is
 * type-checked but not run by the tests; everything above it runs the same on chdb.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseEngine, QueryParams, QuerySettings } from './clickhouse-engine.js';

export interface ClickHouseHttpOptions {
  /** e.g. `https://clickhouse.internal:8443`; credentials do not belong in it (see username/password). */
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** The database holding Vigil's tables (created beforehand by an administrator). Default `default`. */
  readonly database?: string | undefined;
  /** Per request; default 300 s, so a verify of a large chain or a long aggregation is not cut short. */
  readonly requestTimeoutMs?: number | undefined;
}

export class HttpEngine implements ClickHouseEngine {
  readonly where: string;

  private constructor(
    private readonly client: ClickHouseClient,
    where: string,
  ) {
    this.where = where;
  }

  static open(options: ClickHouseHttpOptions): HttpEngine {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    const client = createClient({
      url: options.url,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.database === undefined ? {} : { database: options.database }),
      request_timeout: options.requestTimeoutMs ?? 300_000,
      application: 'vigil',
      // Failures come back as errors that Vigil reports with what to check; the client's own
      // console output would bypass the log (and its redaction).
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: {
        // Int64 as JSON numbers: every 64-bit value Vigil stores (epoch ms, counts) is below 2^53.
        output_format_json_quote_64bit_integers: 0,
        // Progress headers keep a long statement's connection busy, so a load balancer's idle
        // timeout does not cut a verify of a large chain short.
        send_progress_in_http_headers: 1,
        http_headers_progress_interval_ms: '30000',
      },
    });
    return new HttpEngine(client, `${url.origin}/${options.database ?? 'default'}`);
  }

  async rows(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<unknown[][]> {
    const result = await this.client.query({ query: sql, query_params: { ...params }, format: 'JSONCompactEachRow', ...(settings ? { clickhouse_settings: { ...settings } } : {}) });
    return result.json<unknown[]>();
  }

  async command(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<void> {
    await this.client.command({ query: sql, query_params: { ...params }, ...(settings ? { clickhouse_settings: { ...settings } } : {}) });
  }

  async insert(table: string, rows: readonly Readonly<Record<string, unknown>>[], settings?: QuerySettings): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table, values: [...rows], format: 'JSONEachRow', ...(settings ? { clickhouse_settings: { ...settings } } : {}) });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * ClickHouse embedded in this process (chdb, ClickHouse 26.7): what the tests run the ClickHouse
 * event store on, and a possible single-process mode.
 *
 * chdb binds one data directory per process: a second directory can be opened only after the
 * first is closed and its native work drained (close() waits for that), while several engines
 * on the same directory share one connection. Queries run off the event loop (queryBindAsync).
 */
import { Session, drainPending } from 'chdb';
import { errorMessage, VigilError } from '../../core/errors.js';
import type { ClickHouseEngine, QueryParams, QuerySettings } from './clickhouse-engine.js';

/** ` SETTINGS a = 1, b = 'x'` from the store's own setting names and values. */
function settingsClause(settings: QuerySettings | undefined): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return '';
  const value = (v: string | number | boolean) => (typeof v === 'string' ? `'${v.replace(/[\\']/g, '\\$&')}'` : String(Number(v)));
  return ` SETTINGS ${entries.map(([k, v]) => `${k} = ${value(v)}`).join(', ')}`;
}

export class ChdbEngine implements ClickHouseEngine {
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly session: Session,
    readonly where: string,
  ) {}

  /** Opens (creating it if needed) the data directory `path`. */
  static async open(path: string): Promise<ChdbEngine> {
    // A directory closed just before (the previous test's, a reopen) must be fully released first.
    await drainPending();
    try {
      return new ChdbEngine(new Session(path), path);
    } catch (e) {
      throw new VigilError('store-unavailable', `cannot open the embedded ClickHouse data directory ${path}: ${errorMessage(e)} (chdb opens one directory per process)`, { where: path, cause: e });
    }
  }

  async rows(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<unknown[][]> {
    const result = await this.session.queryBindAsync(sql + settingsClause(settings), params, { format: 'JSONCompactEachRow' });
    const text = result.text();
    const rows: unknown[][] = [];
    let from = 0;
    while (from < text.length) {
      let to = text.indexOf('\n', from);
      if (to < 0) to = text.length;
      if (to > from) rows.push(JSON.parse(text.slice(from, to)) as unknown[]);
      from = to + 1;
    }
    return rows;
  }

  async command(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<void> {
    await this.session.queryBindAsync(sql + settingsClause(settings), params, { format: 'TSV' });
  }

  async insert(table: string, rows: readonly Readonly<Record<string, unknown>>[], settings?: QuerySettings): Promise<void> {
    if (rows.length === 0) return;
    let payload = '';
    for (const row of rows) payload += JSON.stringify(row) + '\n';
    await this.session.insert({ table, values: Buffer.from(payload), format: 'JSONEachRow', ...(settings ? { settings: { ...settings } } : {}) });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.session.close();
      await drainPending();
    })();
    return this.closed;
  }
}

/**
 * One write at a time. DuckDB allows a single writing transaction per connection, and the
 * store's writes (BEGIN … appender … upsert … COMMIT) span several awaits, so writers queue
 * here instead of interleaving on the shared connection.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The chain must survive a failed task, or every later write would fail with it.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  drain(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/**
 * A Server-Sent Events reader for tests, over fetch's streaming body, parsing the wire format
 * (WHATWG HTML, "event stream interpretation") as a browser's EventSource would: blank-line
 * separated messages of `event:`/`data:` fields, and `:` comment lines.
 */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  #ended = false;
  #waiters: (() => void)[] = [];
  readonly #abort = new AbortController();
  readonly done: Promise<void>;

  private constructor(readonly response: Response) {
    this.done = this.#read().finally(() => {
      this.#ended = true;
      this.#wake();
    });
  }

  /** Opens the stream; the response is returned as is when it is not a 200 event stream. */
  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    const client = new SseClient(response);
    client.#abort.signal.addEventListener('abort', () => abort.abort());
    return client;
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #read(): Promise<void> {
    if (this.response.status !== 200 || !this.response.body) {
      await this.response.arrayBuffer().catch(() => undefined);
      return;
    }
    const reader = this.response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.#parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close(), or the server dropped the connection: either ends the stream.
    }
  }

  #parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    let isMessage = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      if (field === 'data') {
        data.push(value);
        isMessage = true;
      }
    }
    if (isMessage) this.messages.push({ event, data: data.join('\n') });
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits for the first message (from `from` on) that `match` accepts. */
  async next(match: (m: SseMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.#ended) throw new Error(`the stream ended without the awaited message; got ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no awaited message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` comments have arrived. */
  async comment(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.comments.length < count) {
      if (this.#ended || Date.now() > deadline) throw new Error(`expected ${count} comments, got ${JSON.stringify(this.comments)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }
}

/** The alerts an `alert` message names. */
export function alertMessage(m: SseMessage): { id: string; change: string } | undefined {
  return m.event === 'alert' ? (JSON.parse(m.data) as { id: string; change: string }) : undefined;
}

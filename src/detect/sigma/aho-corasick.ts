/**
 * Aho-Corasick multi-pattern substring search: which of many literals occur in a text, in one
 * pass over the text. The candidate index runs it on each event's fields to find the few
 * rules worth evaluating among thousands. Hand-written because it is the engine's hot path
 * and the npm packages for it allocate a result object per hit; this one reports pattern
 * numbers through a callback and allocates nothing while scanning.
 */
export class AhoCorasick {
  /** Per state: transitions by UTF-16 code unit. */
  readonly #next: Map<number, number>[] = [new Map()];
  readonly #fail: number[] = [0];
  /** Per state: the patterns that end here, including those reached through fail links. */
  readonly #out: number[][] = [[]];
  #built = false;

  /** Adds a pattern; returns nothing, the caller numbers patterns itself. */
  add(pattern: string, id: number): void {
    if (this.#built) throw new Error('AhoCorasick: add() after build()');
    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern.charCodeAt(i);
      let to = this.#next[state]!.get(c);
      if (to === undefined) {
        to = this.#next.length;
        this.#next.push(new Map());
        this.#fail.push(0);
        this.#out.push([]);
        this.#next[state]!.set(c, to);
      }
      state = to;
    }
    this.#out[state]!.push(id);
  }

  /** Computes fail links breadth-first; call once after the last add. */
  build(): this {
    const queue: number[] = [];
    for (const to of this.#next[0]!.values()) queue.push(to);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (const [c, to] of this.#next[state]!) {
        queue.push(to);
        let f = this.#fail[state]!;
        while (f !== 0 && !this.#next[f]!.has(c)) f = this.#fail[f]!;
        const target = this.#next[f]!.get(c);
        this.#fail[to] = target !== undefined && target !== to ? target : 0;
        const inherited = this.#out[this.#fail[to]!]!;
        if (inherited.length > 0) this.#out[to] = [...this.#out[to]!, ...inherited];
      }
    }
    this.#built = true;
    return this;
  }

  /** Calls `hit(id)` for every pattern occurrence in `text` (an id may repeat). */
  scan(text: string, hit: (id: number) => void): void {
    const next = this.#next;
    const fail = this.#fail;
    const out = this.#out;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let to = next[state]!.get(c);
      while (to === undefined && state !== 0) {
        state = fail[state]!;
        to = next[state]!.get(c);
      }
      state = to ?? 0;
      const found = out[state]!;
      for (let k = 0; k < found.length; k++) hit(found[k]!);
    }
  }

  get states(): number {
    return this.#next.length;
  }
}

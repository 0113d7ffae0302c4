/**
 * A deque of timestamped entries kept in time order, in arrays that grow by doubling up to a
 * fixed capacity (so a group with one match costs a few dozen bytes, not the cap). Plain
 * arrays of numbers rather than typed arrays: V8 stores them unboxed too, and they are much
 * cheaper to create, which matters when most groups see one match and expire.
 * Each entry has a time and, when asked for, a number and/or a text. Callers drop the oldest
 * entry themselves before pushing into a full ring, so they can undo its contribution.
 */
/** A ring's entries oldest first: times, numbers (or null), texts (or null). */
export type RingState = readonly [readonly number[], readonly number[] | null, readonly string[] | null];

export class WindowRing {
  private times: number[];
  private nums: number[] | undefined;
  private texts: (string | undefined)[] | undefined;
  /** Allocated length of the arrays (they are filled up front so they stay packed). */
  private cap: number;
  private head = 0;
  size = 0;

  constructor(
    readonly max: number,
    withNums: boolean,
    withTexts: boolean,
  ) {
    this.cap = Math.min(2, max);
    this.times = this.cap === 1 ? [0] : [0, 0];
    this.nums = withNums ? (this.cap === 1 ? [0] : [0, 0]) : undefined;
    this.texts = withTexts ? (this.cap === 1 ? [undefined] : [undefined, undefined]) : undefined;
  }

  get full(): boolean {
    return this.size >= this.max;
  }

  /** Physical slot of the i-th oldest entry. */
  private slot(i: number): number {
    const j = this.head + i;
    return j >= this.cap ? j - this.cap : j;
  }

  time(i: number): number {
    return this.times[this.slot(i)]!;
  }
  num(i: number): number {
    return this.nums![this.slot(i)]!;
  }
  text(i: number): string {
    return this.texts![this.slot(i)]!;
  }
  oldestTime(): number {
    return this.size === 0 ? Infinity : this.times[this.head]!;
  }
  newestTime(): number {
    return this.size === 0 ? -Infinity : this.time(this.size - 1);
  }

  /**
   * Adds an entry in time order: at the end when it is the newest (the usual case), else
   * after the last entry not later than it. The ring must not be full.
   */
  push(t: number, num: number, text: string | undefined): void {
    if (this.size >= this.max) this.shift(); // callers drop first; this only keeps the ring sound
    if (this.size === this.cap) this.grow();
    let i = this.size;
    // Out-of-order arrivals: shift later entries one place towards the end.
    while (i > 0 && this.time(i - 1) > t) {
      this.copy(this.slot(i - 1), this.slot(i));
      i--;
    }
    const s = this.slot(i);
    this.times[s] = t;
    if (this.nums) this.nums[s] = num;
    if (this.texts) this.texts[s] = text;
    this.size++;
  }

  /** Removes the oldest entry. */
  shift(): void {
    if (this.size === 0) return;
    if (this.texts) this.texts[this.head] = undefined;
    this.head = this.slot(1);
    this.size--;
  }

  /** The entries, oldest first, as plain arrays (for a checkpoint). */
  save(): RingState {
    const times: number[] = [];
    const nums: number[] | null = this.nums ? [] : null;
    const texts: string[] | null = this.texts ? [] : null;
    for (let i = 0; i < this.size; i++) {
      times.push(this.time(i));
      nums?.push(this.num(i));
      texts?.push(this.text(i));
    }
    return [times, nums, texts];
  }

  /** Replaces the entries with saved ones (same kind of ring). */
  load([times, nums, texts]: RingState): void {
    this.clear();
    for (let i = 0; i < times.length && i < this.max; i++) this.push(times[i]!, nums?.[i] ?? 0, texts?.[i]);
  }

  clear(): void {
    if (this.texts) this.texts.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  private copy(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    if (this.nums) this.nums[to] = this.nums[from]!;
    if (this.texts) this.texts[to] = this.texts[from];
  }

  private grow(): void {
    const cap = Math.min(this.max, this.cap * 2);
    const times: number[] = [];
    const nums: number[] | undefined = this.nums ? [] : undefined;
    const texts: (string | undefined)[] | undefined = this.texts ? [] : undefined;
    for (let i = 0; i < cap; i++) {
      const inside = i < this.size;
      const s = this.slot(i);
      times.push(inside ? this.times[s]! : 0);
      nums?.push(inside ? this.nums![s]! : 0);
      texts?.push(inside ? this.texts![s] : undefined);
    }
    this.times = times;
    this.nums = nums;
    this.texts = texts;
    this.cap = cap;
    this.head = 0;
  }
}

/**
 * A bounded least-recently-used map. Log traffic repeats the same few addresses (a scanner, a
 * VPN gateway, the office), so a small cache in front of the lookups saves most of them while
 * memory stays fixed however many distinct addresses arrive. A Map keeps insertion order, so
 * re-inserting on a hit makes the first key the least recently used one.
 */
export class LookupCache<V> {
  readonly #map = new Map<string, V>();
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.capacity) this.#map.delete(this.#map.keys().next().value as string);
    this.#map.set(key, value);
  }
}

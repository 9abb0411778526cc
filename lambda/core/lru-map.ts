/**
 * A map of at most `max` entries that forgets the least recently used first: a `Map`, whose
 * insertion order is the recency order (a read that counts as a use moves the entry to the end).
 *
 * The function's caches use it instead of lru-cache, which allocates arrays of `max` slots when it
 * is constructed: with the function's bounds (10,000 ICE answers, 10,000 viewer counters, …) that
 * took about a tenth of the module init's instructions at every cold start (bench/README.md,
 * `bundle`). A `Map` grows with what it holds.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  /** @param max most entries kept (at least 1). */
  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`an LruMap keeps at least 1 entry, not ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value of `key`, which now counts as the most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** The value of `key`, without counting as a use. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Sets `key` as the most recently used; forgets the least recently used entry past `max`. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }
}

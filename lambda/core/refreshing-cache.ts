import { LruMap } from './lru-map';
import type { Clock } from './ports';

/** Where a value came from: the cache (`hit`), the cache while a refresh runs (`stale`), or upstream (`miss`). */
export type CacheOutcome = 'hit' | 'stale' | 'miss';

export interface RefreshingCacheOptions<V extends object, C> {
  /** Most entries kept; the least recently used go first. */
  readonly max: number;
  /** Loads a value. Concurrent misses for one key share one call (single flight). */
  readonly load: (key: string, context: C) => Promise<V>;
  /** Epoch ms until which a cached value is served without refreshing it. */
  readonly freshUntil: (value: V) => number;
  /** Epoch ms until which a cached value may still be served while a refresh runs; past it, callers wait. */
  readonly usableUntil: (value: V) => number;
  readonly clock: Clock;
}

/** One key's state: its last loaded value (if any) and the load in flight (if any). */
interface Entry<V> {
  readonly value?: V;
  /** Epoch ms until which `value` is fresh (inclusive). */
  readonly freshUntil: number;
  readonly loading?: Promise<V>;
}

/**
 * A bounded cache with single flight and refresh-ahead: fresh values are served as they are;
 * values past `freshUntil` but within `usableUntil` are served at once while one background load
 * replaces them (and stay if that load fails, so an outage does not stop a still-valid value);
 * past `usableUntil`, callers wait for the load. A key is loaded by one call at a time, whose
 * `context` is that of the request that started it; `delete` forgets a key, and a load in flight
 * for it then answers its waiters without being cached.
 */
export class RefreshingCache<V extends object, C> {
  private readonly entries: LruMap<string, Entry<V>>;

  constructor(private readonly options: RefreshingCacheOptions<V, C>) {
    this.entries = new LruMap(options.max);
  }

  /**
   * The value for `key` and where it came from: fresh from the cache (`hit`); past `freshUntil`
   * but before `usableUntil`, from the cache while one background load replaces it (`stale`);
   * otherwise after waiting for the load (`miss`), which concurrent callers share (a caller that
   * finds a load in flight gets the cached value at once while it is usable, still as `miss`).
   * Rejects with the load's error when a caller had to wait for it.
   */
  async get(key: string, context: C): Promise<{ value: V; outcome: CacheOutcome }> {
    const now = this.options.clock();
    const entry = this.entries.peek(key);
    const cached = entry?.value;
    const usable = cached !== undefined && now < this.options.usableUntil(cached);
    if (entry?.loading) {
      return { value: usable ? cached : await entry.loading, outcome: 'miss' };
    }
    if (cached !== undefined && now <= (entry?.freshUntil ?? 0)) {
      this.entries.get(key);
      return { value: cached, outcome: 'hit' };
    }
    const loading = this.load(key, context, cached);
    if (usable) {
      // Served stale: nobody waits for the refresh, whose failure keeps the cached value.
      loading.catch(() => undefined);
      return { value: cached, outcome: 'stale' };
    }
    return { value: await loading, outcome: 'miss' };
  }

  /** The value for `key` if it is fresh, without starting any load: the cheap path of a cache hit. */
  peekFresh(key: string): V | undefined {
    const entry = this.entries.peek(key);
    if (entry?.value === undefined || entry.loading || this.options.clock() > entry.freshUntil)
      return undefined;
    this.entries.get(key);
    return entry.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Starts the one load of `key`; `stale` (the value it replaces) stays cached if the load fails. */
  private load(key: string, context: C, stale: V | undefined): Promise<V> {
    const loading = this.options.load(key, context).then(
      (value) => {
        if (this.entries.peek(key) === entry) {
          const freshUntil = Math.max(this.options.clock() + 1, this.options.freshUntil(value));
          this.entries.set(key, { value, freshUntil });
        }
        return value;
      },
      (error: unknown) => {
        if (this.entries.peek(key) === entry) {
          if (stale === undefined) this.entries.delete(key);
          else this.entries.set(key, { value: stale, freshUntil: 0 });
        }
        throw error;
      },
    );
    const entry: Entry<V> = { ...(stale !== undefined ? { value: stale } : {}), freshUntil: 0, loading };
    this.entries.set(key, entry);
    return loading;
  }
}

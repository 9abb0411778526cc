import { LRUCache } from 'lru-cache';
import type { Clock } from './ports';

/**
 * lru-cache options that bound a cache to `entries` entries and let it grow with what it holds:
 * each entry counts 1 against `maxSize`. With `max` instead, lru-cache allocates its arrays of
 * `max` slots in the constructor, and the function builds its caches (10,000 ICE answers, 10,000
 * viewer counters, …) at cold start: that allocation cost 27 M instructions of the module init
 * on Node.js 20 and 15 M on Node.js 24, measured with callgrind (bench/README.md, `bundle`). Eviction is the same least-recently-used order.
 */
export function growingBound(entries: number): { maxSize: number; sizeCalculation: () => number } {
  return { maxSize: entries, sizeCalculation: one };
}

const one = () => 1;

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

/**
 * A bounded cache with single flight and refresh-ahead, on lru-cache's `fetch`:
 * fresh values are served as they are; values past `freshUntil` but within `usableUntil` are
 * served at once while one background load replaces them (and stay if that load fails, so an
 * outage does not stop a still-valid value); past `usableUntil`, callers wait for the load.
 */
export class RefreshingCache<V extends object, C> {
  private readonly lru: LRUCache<string, V, C>;
  /** The keys a load is on its way for. */
  private readonly loading = new Set<string>();

  constructor(private readonly options: RefreshingCacheOptions<V, C>) {
    this.lru = new LRUCache<string, V, C>({
      ...growingBound(options.max),
      perf: { now: options.clock },
      ttlResolution: 0, // read the clock on every check (it is injected, and tests move it)
      ttl: 1, // replaced per entry below, from the value itself
      noDeleteOnFetchRejection: true,
      noDeleteOnStaleGet: true,
      fetchMethod: async (key, _old, { options: entry, context }) => {
        this.loading.add(key);
        try {
          const value = await options.load(key, context);
          entry.ttl = Math.max(1, options.freshUntil(value) - options.clock());
          return value;
        } finally {
          this.loading.delete(key);
        }
      },
    });
  }

  /**
   * The value for `key` and where it came from: fresh from the cache (`hit`); past `freshUntil`
   * but before `usableUntil`, from the cache while one background load replaces it (`stale`);
   * otherwise after waiting for the load (`miss`), which concurrent callers share. Rejects with
   * the load's error when a caller had to wait for it.
   */
  async get(key: string, context: C): Promise<{ value: V; outcome: CacheOutcome }> {
    const now = this.options.clock();
    const cached = this.lru.peek(key, { allowStale: true });
    const usable = cached !== undefined && now < this.options.usableUntil(cached);
    const status: LRUCache.Status<string, V, C> = {};
    // lru-cache types `context` conditionally on C; for a generic C the call needs the cast.
    const fetch = this.lru.fetch.bind(this.lru) as (
      k: string,
      o: LRUCache.FetchOptions<string, V, C>,
    ) => Promise<V | undefined>;
    const value = await fetch(key, { context, allowStale: usable, status });
    if (value === undefined) throw new Error(`cache load for ${key} returned nothing`);
    const outcome: CacheOutcome =
      status.fetch === 'hit' ? 'hit' : status.fetch === 'stale' && usable ? 'stale' : 'miss';
    return { value, outcome };
  }

  /** The value for `key` if it is fresh, without starting any load: the cheap path of a cache hit. */
  peekFresh(key: string): V | undefined {
    return this.lru.get(key);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /**
   * Drops the value of `key` when `outdated` says so of it and no load of it is on its way (that
   * load replaces it anyway): the next {@link get} waits for a new load, which concurrent gets share.
   */
  invalidate(key: string, outdated: (value: V) => boolean): void {
    const value = this.lru.peek(key, { allowStale: true });
    if (value !== undefined && outdated(value) && !this.loading.has(key)) this.lru.delete(key);
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetricName, Metrics } from '../core/metrics';

/**
 * What one request cost upstream, as its log line reports it (fields `cache` and
 * `upstreamCalls`; the "slowest upstream calls" Logs Insights query reads them).
 */
export interface RequestSummary {
  /**
   * How the ICE configuration was found: from the instance's cache (`hit`), from it while it is
   * refreshed (`stale`), by waiting for the shared table, where another instance had put it
   * (`shared`, with `sharedCache`), or by waiting for KVS (`miss`).
   */
  cache?: 'hit' | 'stale' | 'shared' | 'miss';
  /** `AssumeRole`, `GetSignalingChannelEndpoint` and `GetIceServerConfig` attempts the request made (not those it shared with a concurrent request). */
  upstreamCalls: number;
}

/** A request's metric that says how its answer was found; `SharedCacheHit` follows its `IceCacheMiss`. */
const CACHE_OUTCOMES: Partial<Record<MetricName, RequestSummary['cache']>> = {
  IceCacheHit: 'hit',
  IceCacheStale: 'stale',
  IceCacheMiss: 'miss',
  SharedCacheHit: 'shared',
};
const UPSTREAM_CALLS: ReadonlySet<MetricName> = new Set([
  'AssumeRoleCalls',
  'EndpointCalls',
  'IceConfigCalls',
]);

/**
 * Per-request tallies of the core's metrics, kept in the request's async context
 * (`AsyncLocalStorage`), so concurrent requests of the local runner do not mix, and work a request
 * starts in the background (a refresh) counts for that request.
 */
export class RequestSummaries {
  private readonly storage = new AsyncLocalStorage<RequestSummary>();

  /** `metrics`, which also tallies each record into the summary of the request that made it. */
  observe<M extends Metrics>(metrics: M): M {
    return {
      ...metrics,
      add: (name, unit, value) => {
        metrics.add(name, unit, value);
        const summary = this.storage.getStore();
        if (summary === undefined) return;
        const cache = CACHE_OUTCOMES[name];
        if (cache !== undefined) summary.cache = cache;
        if (UPSTREAM_CALLS.has(name)) summary.upstreamCalls += value;
      },
    };
  }

  /** Runs `work` as one request with a fresh summary. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.storage.run({ upstreamCalls: 0 }, work);
  }

  /** The current request's summary so far, as log fields (empty outside {@link run}). */
  current(): Partial<RequestSummary> {
    const summary = this.storage.getStore();
    return summary === undefined ? {} : { ...summary };
  }
}

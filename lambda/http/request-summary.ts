import type { MetricName, MetricsObserver, MetricUnit } from '../core/metrics';

/**
 * What one request cost upstream, as its log line reports it (fields `cache` and
 * `upstreamCalls`; the "slowest upstream calls" Logs Insights query reads them).
 */
export interface RequestSummaryFields {
  /**
   * How the ICE configuration was found: from the instance's cache (`hit`), from it while it is
   * refreshed (`stale`), by waiting for the shared table, where another instance had put it
   * (`shared`, with `sharedCache`), or by waiting for KVS (`miss`).
   */
  cache?: 'hit' | 'stale' | 'shared' | 'miss';
  /**
   * `AssumeRole`, `GetSignalingChannelEndpoint`, `GetIceServerConfig`, `DescribeMediaStorageConfiguration`
   * and storage-session join attempts the request made (not those it shared with a concurrent request).
   */
  upstreamCalls: number;
}

/** A request's metric that says how its answer was found; `SharedCacheHit` follows its `IceCacheMiss`. */
const CACHE_OUTCOMES: Partial<Record<MetricName, RequestSummaryFields['cache']>> = {
  IceCacheHit: 'hit',
  IceCacheStale: 'stale',
  IceCacheMiss: 'miss',
  SharedCacheHit: 'shared',
};
const UPSTREAM_CALLS: ReadonlySet<MetricName> = new Set([
  'AssumeRoleCalls',
  'EndpointCalls',
  'IceConfigCalls',
  'MediaStorageCalls',
  'StorageJoinCalls',
]);

/**
 * One request's tally of the core's metrics: the adapter makes one per request and hands it to
 * the core as the request's `observer` (lambda/core/metrics.ts), which tells it what the request's
 * work records, including the loads the request starts (in the background too: a refresh) and not
 * those it joins. Passed along explicitly rather than kept in an `AsyncLocalStorage`, whose
 * context switches cost every request (on Node.js 20, a hook on every promise).
 */
export class RequestSummary implements MetricsObserver {
  private readonly tally: RequestSummaryFields = { upstreamCalls: 0 };

  add(name: MetricName, _unit: MetricUnit, value: number): void {
    const cache = CACHE_OUTCOMES[name];
    if (cache !== undefined) this.tally.cache = cache;
    if (UPSTREAM_CALLS.has(name)) this.tally.upstreamCalls += value;
  }

  /** The request's summary so far, as log fields. */
  fields(): RequestSummaryFields {
    return { ...this.tally };
  }
}

import type { BrokerMetricName } from '../contract';

/**
 * What the vending core measures; the handler's adapter publishes it (CloudWatch EMF) under the
 * names of the contract, which the stack's alarms and dashboard read:
 * - `IceCacheHit`, `IceCacheStale`, `IceCacheMiss`: how a request's ICE configuration was found.
 * - `AssumeRoleCalls`, `EndpointCalls`: a scoped session opened, a signaling endpoint looked up.
 * - `IceConfigCalls`, `IceConfigLatency`: every `GetIceServerConfig` attempt, and its milliseconds.
 * - `StorageJoinCalls`: every `JoinStorageSession` / `JoinStorageSessionAsViewer` attempt (storage sessions).
 * - `MediaStorageCalls`: every `DescribeMediaStorageConfiguration` attempt (storage sessions).
 * - `UpstreamThrottles`: a `GetIceServerConfig` attempt that KVS throttled.
 * - `UpstreamErrors`: an upstream step (`AssumeRole`, `GetSignalingChannelEndpoint`,
 *   `GetIceServerConfig`) that failed after its retries as a 502, 503 or 504 (not throttling,
 *   not a missing channel), whether a request or a background refresh made it.
 * - `ServedTtl`: seconds of validity of each answer.
 * - `ClockSkew`: seconds the TURN username's expiry is ahead of (negative: behind) receipt + KVS `Ttl`.
 * - `BlockedCallersUnreadable`: a read of the blocked-callers list that failed or found it invalid.
 * - `SharedBudgetFallback`: a `GetIceServerConfig` call admitted by the per-instance budget because
 *   the shared (DynamoDB) budget failed (lambda/core/budget.ts).
 * - `SharedCacheHit`, `SharedCacheUnavailable`: a request that missed the instance's cache (its
 *   `IceCacheMiss`) and was served from the shared cache (context `sharedCache`), one per request
 *   served; a shared cache read or write that failed (the request went on without it).
 */
export type MetricName = BrokerMetricName;

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface Metrics {
  add(name: MetricName, unit: MetricUnit, value: number): void;
  /** Logs a condition an operator should look into, as one warning line; absent where nobody reads logs. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

export const noMetrics: Metrics = { add: () => undefined };

/**
 * One request's tally of what its work records (the handler's per-request log fields): the core
 * tells it every metric it records for the request, besides recording it. A load the request
 * starts tells the observer of the request that started it, in the background too (a refresh);
 * requests that join the load do not.
 */
export type MetricsObserver = Pick<Metrics, 'add'>;

/** `metrics`, each of whose records `observer` also gets; `metrics` itself without an observer. */
export function observed(metrics: Metrics, observer: MetricsObserver | undefined): Metrics {
  if (observer === undefined) return metrics;
  return {
    ...metrics,
    add: (name, unit, value) => {
      metrics.add(name, unit, value);
      observer.add(name, unit, value);
    },
  };
}

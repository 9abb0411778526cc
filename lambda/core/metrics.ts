/** What the vending core measures; the handler's adapter publishes it (CloudWatch EMF). */
export type MetricName =
  | 'IceCacheHit'
  | 'IceCacheStale'
  | 'IceCacheMiss'
  | 'AssumeRoleCalls'
  | 'EndpointCalls'
  | 'IceConfigCalls'
  | 'IceConfigLatency'
  | 'UpstreamThrottles'
  | 'ServedTtl';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface Metrics {
  add(name: MetricName, unit: MetricUnit, value: number): void;
}

export const noMetrics: Metrics = { add: () => undefined };

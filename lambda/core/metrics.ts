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
  | 'ServedTtl'
  /** Seconds the TURN username's expiry is ahead of (negative: behind) receipt + KVS `Ttl`. */
  | 'ClockSkew';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface Metrics {
  add(name: MetricName, unit: MetricUnit, value: number): void;
  /** Logs a condition an operator should look into, as one warning line; absent where nobody reads logs. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

export const noMetrics: Metrics = { add: () => undefined };

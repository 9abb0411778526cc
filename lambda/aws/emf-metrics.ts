import { Metrics as Emf, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type Metrics, noMetrics, type MetricUnit as Unit } from '../core/metrics';

const UNITS: Record<Unit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
};

/**
 * The core's metrics as CloudWatch embedded metric format (EMF) through Powertools Metrics:
 * CloudWatch extracts them from the log stream, so publishing costs no API call. `disabled`
 * (`POWERTOOLS_METRICS_DISABLED=true`, as the local runner sets it) turns them off.
 */
export function emfMetrics(
  namespace: string,
  serviceName: string,
  disabled = false,
): Metrics & { flush(): void } {
  // Disabled metrics cost nothing per request (Powertools would still store them, reading the environment each time).
  if (disabled) return { ...noMetrics, flush: () => undefined };
  const emf = new Emf({ namespace, serviceName });
  return {
    add: (name, unit, value) => emf.addMetric(name, UNITS[unit], value),
    flush: () => {
      if (emf.hasStoredMetrics()) emf.publishStoredMetrics();
    },
  };
}

import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { METRICS } from '../../lambda/contract';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { captureOutput } from './support/output';

// The stack's alarms and dashboard read the function's metrics under METRICS.namespace and the
// `service` dimension METRICS.service: environment variables that Powertools would otherwise
// honour must not move them somewhere no alarm looks.
let stack: LocalStack;
beforeAll(async () => {
  // Powertools reads these from the process's environment, where Lambda's runtime puts them.
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'SomewhereElse');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'another-service');
  stack = await startLocalStack({
    port: 0,
    channels: ['demo'],
    relay: false,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'false' },
  });
});
afterAll(async () => {
  await stack?.close();
  vi.unstubAllEnvs();
});

it('publishes its metrics where the alarms read them, whatever POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME say', async () => {
  const { lines } = await captureOutput(() =>
    fetch(`${stack.api.url}/v1/channels/demo/ice-servers`, { method: 'POST' }),
  );

  const emf = lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed?._aws ? [parsed] : [];
    } catch {
      return [];
    }
  });
  expect(emf.length).toBeGreaterThan(0);
  for (const line of emf) {
    expect(line._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS.namespace);
    expect(line.service).toBe(METRICS.service);
  }
});

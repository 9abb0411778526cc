import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { MetricName, Metrics } from '../../../lambda/core/metrics';
import { RequestSummaries } from '../../../lambda/http/request-summary';

// The `cache` and `upstreamCalls` fields of each request's log line, which the saved query
// "Slowest upstream calls" reads: tallied from the core's metrics, per request.
function observed() {
  const published: MetricName[] = [];
  const summaries = new RequestSummaries();
  const metrics: Metrics = summaries.observe({ add: (name) => published.push(name) });
  return { summaries, metrics, published };
}

describe('RequestSummaries', () => {
  it('reports a request that waited for KVS as a cache miss with its upstream calls', async () => {
    const { summaries, metrics } = observed();

    const summary = await summaries.run(async () => {
      metrics.add('AssumeRoleCalls', 'Count', 1);
      metrics.add('EndpointCalls', 'Count', 1);
      metrics.add('IceConfigCalls', 'Count', 1);
      metrics.add('IceCacheMiss', 'Count', 1);
      return summaries.current();
    });

    expect(summary).toEqual({ cache: 'miss', upstreamCalls: 3 });
  });

  it('reports a request served from the shared table as shared, not as a miss', async () => {
    const { summaries, metrics } = observed();

    const summary = await summaries.run(async () => {
      metrics.add('IceCacheMiss', 'Count', 1);
      metrics.add('SharedCacheHit', 'Count', 1);
      return summaries.current();
    });

    expect(summary).toEqual({ cache: 'shared', upstreamCalls: 0 });
  });

  it('still publishes every metric it tallies', async () => {
    const { summaries, metrics, published } = observed();

    await summaries.run(async () => metrics.add('IceCacheHit', 'Count', 1));

    expect(published).toEqual(['IceCacheHit']);
  });

  it('keeps the tallies of concurrent requests apart', async () => {
    const { summaries, metrics } = observed();
    const request = (calls: number, outcome: MetricName) =>
      summaries.run(async () => {
        for (let i = 0; i < calls; i++) {
          await sleep(1);
          metrics.add('IceConfigCalls', 'Count', 1);
        }
        metrics.add(outcome, 'Count', 1);
        return summaries.current();
      });

    const [first, second] = await Promise.all([request(2, 'IceCacheMiss'), request(0, 'IceCacheHit')]);

    expect(first).toEqual({ cache: 'miss', upstreamCalls: 2 });
    expect(second).toEqual({ cache: 'hit', upstreamCalls: 0 });
  });

  it('reports nothing outside a request (a cold-start prewarm)', () => {
    const { summaries, metrics } = observed();

    metrics.add('AssumeRoleCalls', 'Count', 1);

    expect(summaries.current()).toEqual({});
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type MetricName, type Metrics, observed } from '../../../lambda/core/metrics';
import { RequestSummary } from '../../../lambda/http/request-summary';
import { request, startVendor, type VendorUnderTest } from '../ice-vendor/support/vendor';

// The `cache` and `upstreamCalls` fields of each request's log line, which the saved query
// "Slowest upstream calls" reads: tallied from the core's metrics, per request.
describe('RequestSummary', () => {
  it('reports a request that waited for KVS as a cache miss with its upstream calls', () => {
    const summary = new RequestSummary();

    for (const name of ['AssumeRoleCalls', 'EndpointCalls', 'IceConfigCalls', 'IceCacheMiss'] as const)
      summary.add(name, 'Count', 1);

    expect(summary.fields()).toEqual({ cache: 'miss', upstreamCalls: 3 });
  });

  it('reports a request served from the shared table as shared, not as a miss', () => {
    const summary = new RequestSummary();

    summary.add('IceCacheMiss', 'Count', 1);
    summary.add('SharedCacheHit', 'Count', 1);

    expect(summary.fields()).toEqual({ cache: 'shared', upstreamCalls: 0 });
  });

  it("counts a request's storage-session joins and DescribeMediaStorageConfiguration calls among its upstream calls", () => {
    const summary = new RequestSummary();

    for (const name of ['AssumeRoleCalls', 'MediaStorageCalls', 'EndpointCalls', 'StorageJoinCalls'] as const)
      summary.add(name, 'Count', 1);

    expect(summary.fields()).toEqual({ upstreamCalls: 4 });
  });

  it('reports no upstream call and no cache outcome before the request made any', () => {
    expect(new RequestSummary().fields()).toEqual({ upstreamCalls: 0 });
  });
});

describe('observed metrics: what a request records, told to its summary', () => {
  it('still records every metric it tells the observer', () => {
    const published: MetricName[] = [];
    const metrics: Metrics = { add: (name) => published.push(name) };
    const summary = new RequestSummary();

    observed(metrics, summary).add('IceCacheHit', 'Count', 1);

    expect(published).toEqual(['IceCacheHit']);
    expect(summary.fields()).toEqual({ cache: 'hit', upstreamCalls: 0 });
  });

  it('is the metrics themselves without an observer (a cold-start prewarm)', () => {
    const metrics: Metrics = { add: () => undefined };

    expect(observed(metrics, undefined)).toBe(metrics);
  });
});

describe('the summaries of the vendor’s requests', () => {
  let sut: VendorUnderTest | undefined;
  afterEach(async () => {
    await sut?.close();
    sut = undefined;
  });

  it('counts the calls of a load for the request that started it, and none for one that joined it', async () => {
    sut = await startVendor();
    sut.emulator.setFault('GetIceServerConfig', { latencyMs: 50 });
    const [first, second] = [new RequestSummary(), new RequestSummary()];

    await Promise.all([
      sut.vendor.vend(request({ clientId: 'c1', observer: first })),
      sut.vendor.vend(request({ clientId: 'c1', observer: second })),
    ]);

    expect(first.fields()).toEqual({ cache: 'miss', upstreamCalls: 3 });
    expect(second.fields()).toEqual({ cache: 'miss', upstreamCalls: 0 });
  });

  it('keeps the tallies of concurrent requests of different callers apart', async () => {
    sut = await startVendor();
    await sut.vendor.vend(request({ clientId: 'warm' })); // the session and the endpoint
    const [a, b] = [new RequestSummary(), new RequestSummary()];

    await Promise.all([
      sut.vendor.vend(request({ clientId: 'a', observer: a })),
      sut.vendor.vend(request({ clientId: 'b', observer: b })),
    ]);
    const hit = new RequestSummary();
    await sut.vendor.vend(request({ clientId: 'a', observer: hit }));

    expect([a.fields(), b.fields(), hit.fields()]).toEqual([
      { cache: 'miss', upstreamCalls: 1 },
      { cache: 'miss', upstreamCalls: 1 },
      { cache: 'hit', upstreamCalls: 0 },
    ]);
  });
});

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

/** The upstream calls the vendor has recorded (its metrics: every attempt, sent or not), of the kinds a summary counts. */
const upstreamCalls = (sut: VendorUnderTest) =>
  (['AssumeRoleCalls', 'EndpointCalls', 'IceConfigCalls'] as const).reduce(
    (sum, name) => sum + sut.metricCount(name),
    0,
  );

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

    // Session, endpoint and ICE configuration: three calls, or more where a busy machine made a
    // connection time out and the vendor retry; all of them the first request's.
    expect(first.fields()).toEqual({ cache: 'miss', upstreamCalls: upstreamCalls(sut) });
    expect(first.fields().upstreamCalls).toBeGreaterThanOrEqual(3);
    expect(second.fields()).toEqual({ cache: 'miss', upstreamCalls: 0 });
  });

  it('keeps the tallies of concurrent requests of different callers apart', async () => {
    sut = await startVendor();
    await sut.vendor.vend(request({ clientId: 'warm' })); // the session and the endpoint
    const callsBefore = upstreamCalls(sut);
    const [a, b] = [new RequestSummary(), new RequestSummary()];

    await Promise.all([
      sut.vendor.vend(request({ clientId: 'a', observer: a })),
      sut.vendor.vend(request({ clientId: 'b', observer: b })),
    ]);
    const callsOfBoth = upstreamCalls(sut) - callsBefore;
    const hit = new RequestSummary();
    await sut.vendor.vend(request({ clientId: 'a', observer: hit }));

    // Each request made its own GetIceServerConfig call (more than one where a busy machine made
    // the SDK's connection time out and the vendor retry it): each summary counts its own calls,
    // and together exactly those the vendor recorded, none of them twice or for the other.
    const [fieldsA, fieldsB] = [a.fields(), b.fields()];
    expect([fieldsA.cache, fieldsB.cache, hit.fields()]).toEqual([
      'miss',
      'miss',
      { cache: 'hit', upstreamCalls: 0 },
    ]);
    expect(fieldsA.upstreamCalls).toBeGreaterThanOrEqual(1);
    expect(fieldsB.upstreamCalls).toBeGreaterThanOrEqual(1);
    expect(fieldsA.upstreamCalls + fieldsB.upstreamCalls).toBe(callsOfBoth);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { budgetLimits, DEFAULT_TUNING } from '../../../lambda/config';
import {
  eventually,
  FakeClock,
  rejectionOf,
  request,
  startVendor,
  type VendorUnderTest,
} from './support/vendor';

let sut: VendorUnderTest | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

const DEFAULT_BUDGET = budgetLimits(DEFAULT_TUNING);

const username = (result: { iceServers: { username?: string }[] }) => result.iceServers[1]?.username;

describe('caches in front of STS and KVS', () => {
  it('makes one GetIceServerConfig call for 100 concurrent requests of one client (single flight)', async () => {
    sut = await startVendor();
    sut.emulator.setFault('GetIceServerConfig', { latencyMs: 100 });

    const results = await Promise.all(
      Array.from({ length: 100 }, () => sut?.vendor.vend(request({ clientId: 'c1' }))),
    );

    expect(sut.iceCalls()).toBe(1);
    expect(new Set(results.map((r) => r && username(r))).size).toBe(1);
  });

  it('reuses the scoped session and the endpoint across clients of a channel', async () => {
    sut = await startVendor();

    for (const clientId of ['a', 'b', 'c']) await sut.vendor.vend(request({ clientId }));

    expect(sut.assumeRoleCalls()).toBe(1);
    expect(sut.endpointCalls()).toBe(1);
    expect(sut.iceCalls()).toBe(3);
  });

  it('serves the cached credentials, then refreshes them in the background ahead of the cut-off', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock });
    const first = await sut.vendor.vend(request());

    clock.advanceSeconds(160); // past the fresh window (300 - 120 - 30 s), still servable
    const during = await sut.vendor.vend(request());
    let after = during;
    await eventually(async () => {
      after = (await sut?.vendor.vend(request())) ?? during;
      return username(after) !== username(first);
    });

    expect(username(during)).toBe(username(first));
    expect(during.ttl).toBeGreaterThanOrEqual(120);
    expect(username(after)).not.toBe(username(first));
    expect(sut.iceCalls()).toBe(2);
  });

  it('never returns credentials with less than minRemainingTtl seconds left', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock, policy: { minRemainingTtlSeconds: 120 } });
    const ttls: number[] = [];

    for (let step = 0; step < 28; step++) {
      ttls.push((await sut.vendor.vend(request())).ttl);
      clock.advanceSeconds(10);
    }

    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(120);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(300);
  });

  it('serves still-valid cached credentials while KVS is failing', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock });
    const first = await sut.vendor.vend(request());
    sut.emulator.setFault('GetIceServerConfig', { kind: 'serverError', status: 500 });

    clock.advanceSeconds(170);
    const served = await sut.vendor.vend(request());

    expect(username(served)).toBe(username(first));
    expect(served.ttl).toBeGreaterThanOrEqual(120);
  });

  it('fails instead of serving cached credentials that fell below minRemainingTtl during an outage', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock });
    await sut.vendor.vend(request());
    sut.emulator.setFault('GetIceServerConfig', { kind: 'serverError', status: 500 });

    clock.advanceSeconds(185);
    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('UpstreamError');
  });

  it('finds the endpoint again after KVS says the channel is gone', async () => {
    sut = await startVendor();
    sut.emulator.setFault('GetIceServerConfig', { kind: 'notFound', times: 1 });

    const error = await rejectionOf(sut.vendor.vend(request()));
    await sut.vendor.vend(request());

    expect(error.code).toBe('ChannelNotFound');
    expect(sut.endpointCalls()).toBe(2);
  });
});

describe('upstream budget, retries and deadline', () => {
  it('keeps GetIceServerConfig within 5 calls per second per channel and answers the excess with 429 and Retry-After', async () => {
    // No wait: a waiter re-checking after a busy-machine stall could find a slot of a call that ended.
    sut = await startVendor({ policy: { budget: { ...DEFAULT_BUDGET, maxWaitMs: 0 } } });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => sut?.vendor.vend(request({ clientId: `client-${i}` }))),
    );

    const throttled = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(sut.iceCalls()).toBe(5);
    expect(throttled).toHaveLength(15);
    for (const error of throttled) {
      expect(error.code).toBe('Throttled');
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
  });

  it('lets a waiting request through when a budget slot frees up within the wait bound', async () => {
    // A slot frees one second after its call ends: a wait bound well past that leaves room for
    // slow calls on a busy machine.
    sut = await startVendor({ policy: { budget: { ...DEFAULT_BUDGET, maxWaitMs: 5000 } } });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => sut?.vendor.vend(request({ clientId: `client-${i}` }))),
    );

    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(sut.iceCalls()).toBe(8);
  });

  it('retries a KVS throttle and succeeds', async () => {
    sut = await startVendor();
    sut.emulator.setFault('GetIceServerConfig', { kind: 'throttle', times: 2 });

    const result = await sut.vendor.vend(request());

    expect(result.iceServers).toHaveLength(3);
    expect(sut.iceCalls()).toBe(3);
  });

  it('gives up with 429 Throttled after the bounded number of attempts', async () => {
    sut = await startVendor({ policy: { retry: { attempts: 3, baseMs: 10, capMs: 50 } } });
    sut.emulator.setFault('GetIceServerConfig', { kind: 'throttle' });

    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('Throttled');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(sut.iceCalls()).toBe(3);
  });

  it('answers 504 UpstreamTimeout when KVS does not answer within the request deadline', async () => {
    sut = await startVendor({ policy: { deadlineMs: 300 } });
    sut.emulator.setFault('GetIceServerConfig', { latencyMs: 3000 });

    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('UpstreamTimeout');
  });

  it('recovers after the deadline passed once', async () => {
    // The recovering request must finish within the same deadline: give it room on a busy machine.
    sut = await startVendor({ policy: { deadlineMs: 2000 } });
    sut.emulator.setFault('GetIceServerConfig', { latencyMs: 10_000, times: 1 });
    await rejectionOf(sut.vendor.vend(request()));

    const result = await sut.vendor.vend(request({ clientId: 'next' }));

    expect(result.iceServers).toHaveLength(3);
  });
});

describe('an AWS clock that is off from this host', () => {
  const MINUTE = 60_000;
  const signatureRejections = (vendor: VendorUnderTest) => {
    const { rejected } = vendor.emulator.stats();
    return (rejected.SignatureDoesNotMatch ?? 0) + (rejected.InvalidSignatureException ?? 0);
  };

  it('lets a cached session recover from a clock jump with one refused call, and signs the next session right first time', async () => {
    sut = await startVendor();
    await sut.vendor.vend(request({ clientId: 'before' }));
    sut.emulator.setClockOffset(10 * MINUTE);

    const cachedSession = await sut.vendor.vend(request({ clientId: 'after' }));
    const newSession = await sut.vendor.vend(request({ channel: 'lobby', clientId: 'after' }));

    expect(cachedSession.ttl).toBeGreaterThanOrEqual(120);
    expect(newSession.ttl).toBeGreaterThanOrEqual(120);
    expect(signatureRejections(sut)).toBe(1);
    expect(sut.assumeRoleCalls()).toBe(2);
  });

  it('renews a scoped session by its true expiry when the AWS clock is 10 minutes ahead', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock });
    sut.emulator.setClockOffset(10 * MINUTE);
    await sut.vendor.vend(request({ clientId: 'first' }));

    clock.advanceSeconds(3610); // the one-hour session has expired, by AWS's clock
    const result = await sut.vendor.vend(request({ clientId: 'second' }));

    expect(result.ttl).toBeGreaterThanOrEqual(120);
    expect(sut.assumeRoleCalls()).toBe(2);
    expect(sut.emulator.stats().rejected.ExpiredTokenException).toBeUndefined();
  });
});

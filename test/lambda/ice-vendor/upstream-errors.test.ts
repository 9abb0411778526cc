import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TUNING, vendorTuning } from '../../../lambda/config';
import { IPV4_ENDPOINTS } from '../../../lambda/core/ice-servers';
import { rejectionOf, request, startVendor, type VendorUnderTest } from './support/vendor';

// What the vending core answers for upstream failures the wire emulator produces, through the
// unmodified SDK clients: the error code, Retry-After, and a message naming the failed service.
let sut: VendorUnderTest | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

const HOUR = 3600_000;

describe('upstream failures, as the caller hears of them', () => {
  it('names STS, not KVS, when STS keeps throttling AssumeRole', async () => {
    sut = await startVendor();
    sut.emulator.setFault('AssumeRole', { kind: 'throttle' });

    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('Throttled');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('STS AssumeRole');
    expect(error.message).not.toContain('KVS');
  });

  it('names KVS when GetIceServerConfig keeps throttling', async () => {
    sut = await startVendor();
    sut.emulator.setFault('GetIceServerConfig', { kind: 'throttle' });

    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('Throttled');
    expect(error.message).toContain('KVS GetIceServerConfig');
  });

  it("answers Unavailable with Retry-After, naming STS, when STS does not know the function's access key", async () => {
    sut = await startVendor({
      executionCredentials: { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x'.repeat(40) },
    });

    const error = await rejectionOf(sut.vendor.vend(request()));

    expect(error.code).toBe('Unavailable');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('STS');
    expect((error.cause as Error).name).toBe('InvalidClientTokenId');
  });

  it('serves the same request through a new session when KVS says the cached session expired', async () => {
    sut = await startVendor();
    await sut.vendor.vend(request({ clientId: 'before' }));
    sut.emulator.setClockOffset(2 * HOUR); // past the one-hour session, by AWS's clock

    const during = await sut.vendor.vend(request({ clientId: 'during' }));
    const next = await sut.vendor.vend(request({ clientId: 'after' }));

    expect(during.ttl).toBeGreaterThanOrEqual(120);
    expect(next.ttl).toBeGreaterThanOrEqual(120);
    expect(sut.assumeRoleCalls()).toBe(2);
  });

  it('opens a new session, within the same request, after KVS refuses the cached session while finding an endpoint', async () => {
    sut = await startVendor();
    await sut.vendor.vend(request({ clientId: 'before' }));
    sut.emulator.setClockOffset(2 * HOUR);

    // MASTER: no endpoint is cached for this role yet, so the expired session meets GetSignalingChannelEndpoint.
    const during = await sut.vendor.vend(request({ role: 'MASTER', clientId: 'during' }));
    const next = await sut.vendor.vend(request({ role: 'MASTER', clientId: 'after' }));

    expect(during.ttl).toBeGreaterThanOrEqual(120);
    expect(next.ttl).toBeGreaterThanOrEqual(120);
    expect(sut.assumeRoleCalls()).toBe(2);
  });

  it('keeps VIEWER and MASTER credentials of one caller apart', async () => {
    sut = await startVendor();

    await sut.vendor.vend(request({ role: 'VIEWER', clientId: 'alice' }));
    await sut.vendor.vend(request({ role: 'MASTER', clientId: 'alice' }));

    expect(sut.iceCalls()).toBe(2);
    expect(sut.endpointCalls()).toBe(2);
  });

  it('refuses a transports filter that no TURN server offers, naming the offered transports', async () => {
    sut = await startVendor();

    const error = await rejectionOf(sut.vendor.vend(request({ transports: ['tcp'] })));

    expect(error.code).toBe('InvalidRequest');
    expect(error.message).toBe('no TURN server offers transport tcp; offered: udp, tls, dtls');
  });
});

describe('transient server faults', () => {
  let faulty: VendorUnderTest | undefined;
  afterEach(async () => {
    await faulty?.close();
    faulty = undefined;
  });

  it.each(['AssumeRole', 'GetSignalingChannelEndpoint', 'GetIceServerConfig'] as const)(
    'retries a %s that answered HTTP 500 once, and serves',
    async (operation) => {
      faulty = await startVendor();
      faulty.emulator.setFault(operation, { kind: 'serverError', status: 500, times: 1 });

      const result = await faulty.vendor.vend(request());

      expect(result.iceServers.length).toBeGreaterThan(1);
      expect(faulty.emulator.stats().operations[operation]).toBe(2);
    },
  );
});

describe('the per-caller issuance limit', () => {
  let limited: VendorUnderTest | undefined;
  afterEach(async () => {
    await limited?.close();
    limited = undefined;
  });

  it('counts one issuance once, however many attempts KVS throttling costs it', async () => {
    const budget = { ...vendorTuning(DEFAULT_TUNING, IPV4_ENDPOINTS).budget, perCallerPerMinute: 2 };
    limited = await startVendor({ policy: { budget } });
    limited.emulator.setFault('GetIceServerConfig', { kind: 'throttle', times: 1 });

    await limited.vendor.vend(request({ clientId: 'alice' })); // two attempts, one issuance
    const second = await limited.vendor.vend(request({ channel: 'lobby', clientId: 'alice' }));

    expect(second.iceServers.length).toBeGreaterThan(1);
    expect(limited.iceCalls()).toBe(3);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, request, startVendor, type VendorUnderTest } from './support/vendor';

let sut: VendorUnderTest | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

describe('refresh-ahead stays bounded whatever minRemainingTtl is', () => {
  it.each([
    [120, 30],
    [250, 10],
    [290, 2],
    [299, 0],
  ])(
    'with minRemainingTtl %i s, serves a fresh answer from the cache for %i s without calling KVS again',
    async (minRemainingTtlSeconds, quietSeconds) => {
      const clock = new FakeClock();
      sut = await startVendor({ clock, policy: { minRemainingTtlSeconds } });
      await sut.vendor.vend(request());

      for (let second = 0; second < quietSeconds; second++) {
        clock.advanceSeconds(1);
        await sut.vendor.vend(request());
      }
      await sut.upstreamSettled();

      expect(sut.iceCalls()).toBe(1);
    },
  );

  it('with minRemainingTtl 290 s, a burst of requests within the first seconds makes one KVS call', async () => {
    const clock = new FakeClock();
    sut = await startVendor({ clock, policy: { minRemainingTtlSeconds: 290 } });

    for (let i = 0; i < 20; i++) await sut.vendor.vend(request());
    await sut.upstreamSettled();

    expect(sut.iceCalls()).toBe(1);
  });
});

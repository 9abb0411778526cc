import { afterEach, describe, expect, it } from 'vitest';
import { request, startVendor, type VendorUnderTest } from './support/vendor';

let sut: VendorUnderTest | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

describe('pre-warming a channel at init', () => {
  it("opens the channel's session and finds its endpoint, so its first request makes one upstream call", async () => {
    sut = await startVendor();

    await sut.vendor.prewarm('demo');
    const before = { assumeRole: sut.assumeRoleCalls(), endpoint: sut.endpointCalls(), ice: sut.iceCalls() };
    await sut.vendor.vend(request());

    expect(before).toEqual({ assumeRole: 1, endpoint: 1, ice: 0 });
    expect([sut.assumeRoleCalls(), sut.endpointCalls(), sut.iceCalls()]).toEqual([1, 1, 1]);
  });

  it('leaves nothing broken when it fails: the first request tries again and is served', async () => {
    sut = await startVendor();
    sut.emulator.setFault('AssumeRole', { kind: 'serverError', status: 500, times: 3 });

    await expect(sut.vendor.prewarm('demo')).rejects.toMatchObject({ code: 'UpstreamError' });
    const result = await sut.vendor.vend(request());

    expect(result.iceServers.length).toBeGreaterThan(1);
  });

  it('refuses a channel the deployment does not serve', async () => {
    sut = await startVendor();

    await expect(sut.vendor.prewarm('nope')).rejects.toMatchObject({ code: 'ChannelNotAllowed' });
    expect(sut.assumeRoleCalls()).toBe(0);
  });
});

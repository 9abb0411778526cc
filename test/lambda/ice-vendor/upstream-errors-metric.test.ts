import { afterEach, describe, expect, it } from 'vitest';
import type { FaultSpec, Operation } from '../../../local/emulator';
import { rejectionOf, request, startVendor, type VendorUnderTest } from './support/vendor';

// The UpstreamErrors metric, which the stack's "upstream errors" alarm watches: one per upstream
// step that failed after its retries because STS or KVS failed, none for the caller's mistakes.
let sut: VendorUnderTest | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

describe('UpstreamErrors metric', () => {
  it.each<{ when: string; operation: Operation; fault: FaultSpec; code: string; upstreamErrors: number }>([
    {
      when: 'KVS keeps answering 500 to GetIceServerConfig',
      operation: 'GetIceServerConfig',
      fault: { kind: 'serverError' },
      code: 'UpstreamError',
      upstreamErrors: 1,
    },
    {
      when: 'STS stays unavailable',
      operation: 'AssumeRole',
      fault: { kind: 'serverError', status: 503 },
      code: 'Unavailable',
      upstreamErrors: 1,
    },
    {
      when: 'KVS keeps throttling (throttles have their own metric)',
      operation: 'GetIceServerConfig',
      fault: { kind: 'throttle' },
      code: 'Throttled',
      upstreamErrors: 0,
    },
    {
      when: 'KVS does not have the channel',
      operation: 'GetSignalingChannelEndpoint',
      fault: { kind: 'notFound' },
      code: 'ChannelNotFound',
      upstreamErrors: 0,
    },
  ])(
    '$when: answers $code and counts $upstreamErrors upstream errors',
    async ({ operation, fault, code, upstreamErrors }) => {
      sut = await startVendor();
      sut.emulator.setFault(operation, fault);

      const error = await rejectionOf(sut.vendor.vend(request()));

      expect(error.code).toBe(code);
      expect(sut.metricCount('UpstreamErrors')).toBe(upstreamErrors);
    },
  );

  it('counts nothing when the answer is served', async () => {
    sut = await startVendor();

    await sut.vendor.vend(request());

    expect(sut.metricCount('UpstreamErrors')).toBe(0);
  });
});

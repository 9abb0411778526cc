import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../local/emulator';
import { upstreamFigures } from '../lib/burst-analysis';

const ice = (at: number, clientId: string | null, channel = 'demo'): CallRecord => ({
  op: 'GetIceServerConfig',
  channel,
  clientId,
  at,
  throttled: false,
});

describe('upstream figures of a burst', () => {
  it('counts only GetIceServerConfig calls of the channel', () => {
    const recent: CallRecord[] = [
      ice(0, 'u-a'),
      { op: 'GetSignalingChannelEndpoint', channel: 'demo', clientId: null, at: 1, throttled: false },
      ice(2, 'u-b', 'lobby'),
    ];

    expect(upstreamFigures(recent, 'demo', 2, 5).calls).toBe(1);
  });

  it('reports the most calls any one identity caused and the mean over all identities', () => {
    const recent = [ice(0, 'u-a'), ice(10, 'u-a'), ice(20, 'u-b')];

    const figures = upstreamFigures(recent, 'demo', 4, 5);

    expect([figures.identitiesSeen, figures.maxPerIdentity, figures.meanPerIdentity]).toEqual([2, 2, 0.75]);
  });

  it('shows a sixth call inside one second as a peak above five', () => {
    const recent = [0, 100, 200, 300, 400, 990].map((at, i) => ice(at, `u-${i}`));

    const figures = upstreamFigures(recent, 'demo', 6, 5);

    expect([figures.peakPerSecond, figures.tightestSpanMs]).toEqual([6, 990]);
  });

  it('has no span for a burst with too few calls to exceed the limit', () => {
    expect(upstreamFigures([ice(0, 'u-a')], 'demo', 1, 5).tightestSpanMs).toBeNull();
  });
});

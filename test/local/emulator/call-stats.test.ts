import { describe, expect, it } from 'vitest';
import { StatsRecorder } from '../../../local/emulator/call-stats';

describe('StatsRecorder', () => {
  it('keeps only the most recent calls once the ring is full, oldest first', () => {
    let now = 0;
    const stats = new StatsRecorder(() => now, 3);
    for (let i = 1; i <= 5; i++) {
      now = i;
      stats.recordCall('GetIceServerConfig', 'demo', `c${i}`);
    }

    const recent = stats.snapshot().recentCalls;

    expect(recent.map((r) => r.at)).toEqual([3, 4, 5]);
  });

  it('still counts every call after the ring wrapped', () => {
    const stats = new StatsRecorder(() => 0, 2);
    for (let i = 0; i < 5; i++) stats.recordCall('GetIceServerConfig', 'demo');

    expect(stats.snapshot().operations.GetIceServerConfig).toBe(5);
  });

  it('does not let a snapshot be changed by later calls', () => {
    const stats = new StatsRecorder(() => 0);
    stats.recordCall('GetIceServerConfig', 'demo', 'a');
    const before = stats.snapshot();

    stats.recordCall('GetIceServerConfig', 'demo', 'a');

    expect(before.channels.demo?.total).toBe(1);
  });

  it('handles a channel named __proto__ as an ordinary key', () => {
    const stats = new StatsRecorder(() => 0);

    stats.recordCall('GetSignalingChannelEndpoint', '__proto__');

    expect(Object.hasOwn(stats.snapshot().channels, '__proto__')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { VendingError } from '../../../lambda/core/errors';
import { withRetries } from '../../../lambda/core/retry';

const throttled = () => new VendingError('Throttled', 'slow down', { retryable: true });

/** A policy whose waits are recorded instead of slept, with a fixed "random" draw. */
function recordingPolicy(attempts: number, draw = 1) {
  const waits: number[] = [];
  return {
    waits,
    policy: {
      attempts,
      baseMs: 100,
      capMs: 1000,
      random: () => draw,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    },
  };
}

describe('bounded retries with full-jitter backoff', () => {
  it('waits random(0, min(cap, base * 2^n)) before the n-th retry: 100, 200, 400, 800, then the 1000 ms cap', async () => {
    const { waits, policy } = recordingPolicy(7);

    await expect(withRetries(policy, async () => Promise.reject(throttled()))).rejects.toThrow('slow down');

    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('scales each wait by the random draw (full jitter)', async () => {
    const { waits, policy } = recordingPolicy(3, 0.25);

    await expect(withRetries(policy, async () => Promise.reject(throttled()))).rejects.toThrow();

    expect(waits).toEqual([25, 50]);
  });

  it('makes exactly `attempts` attempts and returns the first success', async () => {
    const { policy } = recordingPolicy(3);
    let calls = 0;

    const result = await withRetries(policy, async (n) => {
      calls++;
      if (n < 2) throw throttled();
      return 'ok';
    });

    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry a failure that is not transient', async () => {
    const { waits, policy } = recordingPolicy(3);
    let calls = 0;

    await expect(
      withRetries(policy, async () => {
        calls++;
        throw new VendingError('ChannelNotFound', 'gone');
      }),
    ).rejects.toThrow('gone');

    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('stops retrying once the deadline signal has aborted', async () => {
    const { policy } = recordingPolicy(5);
    const deadline = new AbortController();
    let calls = 0;

    await expect(
      withRetries(
        policy,
        async () => {
          calls++;
          deadline.abort();
          throw throttled();
        },
        deadline.signal,
      ),
    ).rejects.toThrow('slow down');

    expect(calls).toBe(1);
  });
});

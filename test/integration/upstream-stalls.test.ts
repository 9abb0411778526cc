import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Operation } from '../../local/emulator';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { captureOutput, nonJsonLines } from './support/output';

// The deployed handler with a 500 ms upstream request timeout, the default three attempts and
// the default 6 s deadline, against an emulator that holds answers for 1.5 s.
const REQUEST_TIMEOUT_MS = 500;
const ATTEMPTS = 3;
const DEADLINE_MS = 6000;
const STALL_MS = 1500;
const OPERATIONS: Operation[] = ['AssumeRole', 'GetSignalingChannelEndpoint', 'GetIceServerConfig'];
// One cold channel per scenario (sessions, endpoints and ICE configs are cached per channel);
// `warm` is the channel the handler prewarms at start-up.
const SCENARIOS = OPERATIONS.flatMap((operation) =>
  (['once', 'always'] as const).map((stall) => ({ operation, stall, channel: `${operation}-${stall}` })),
);

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    channels: ['warm', 'stalled-log', ...SCENARIOS.map((s) => s.channel)],
    relay: false,
    env: {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      UPSTREAM_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      UPSTREAM_ATTEMPTS: String(ATTEMPTS),
      UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
    },
  });
  // Wait for the start-up prewarm's calls, so that none of them meets a scenario's fault.
  await fetch(`${stack.api.url}/v1/channels/warm/ice-servers`, { method: 'POST' });
});
afterAll(() => stack?.close());
beforeEach(() => stack.emulator.clearFaults());

/** One request for `channel`, with its status, body, duration and the operation's upstream calls. */
async function timedRequest(channel: string, operation: Operation) {
  const before = stack.emulator.stats().operations[operation];
  const started = performance.now();
  const response = await fetch(`${stack.api.url}/v1/channels/${channel}/ice-servers`, { method: 'POST' });
  const body = await response.json();
  const elapsedMs = performance.now() - started;
  return {
    status: response.status,
    body,
    elapsedMs,
    calls: stack.emulator.stats().operations[operation] - before,
  };
}

describe('an upstream call that stalls past the request timeout', () => {
  it.each(SCENARIOS.filter((s) => s.stall === 'once'))(
    'is abandoned and retried: a stalled $operation answers 200 after a retry',
    async ({ operation, channel }) => {
      stack.emulator.setFault(operation, { latencyMs: STALL_MS, times: 1 });

      const { status, calls, elapsedMs } = await timedRequest(channel, operation);

      expect(status).toBe(200);
      // One retry; a machine that stalls the retry itself past the timeout makes it two.
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(calls).toBeLessThanOrEqual(ATTEMPTS);
      expect(elapsedMs).toBeLessThan(DEADLINE_MS - 1000);
    },
  );

  it.each(SCENARIOS.filter((s) => s.stall === 'always'))(
    'answers 504 UpstreamTimeout well before the deadline when every $operation attempt stalls',
    async ({ operation, channel }) => {
      stack.emulator.setFault(operation, { latencyMs: STALL_MS });

      const { status, body, calls, elapsedMs } = await timedRequest(channel, operation);

      expect(status).toBe(504);
      expect(body.error.code).toBe('UpstreamTimeout');
      expect(calls).toBe(ATTEMPTS);
      expect(elapsedMs).toBeGreaterThanOrEqual(ATTEMPTS * REQUEST_TIMEOUT_MS);
      expect(elapsedMs).toBeLessThan(DEADLINE_MS - 1000);
    },
  );

  it('writes nothing but JSON lines to stdout and stderr', async () => {
    stack.emulator.setFault('GetIceServerConfig', { latencyMs: STALL_MS });

    const { lines } = await captureOutput(async () => {
      await timedRequest('stalled-log', 'GetIceServerConfig');
      // Let the abandoned answers arrive, as they would during the function's next invocation.
      await new Promise((resolve) => setTimeout(resolve, STALL_MS));
    });

    expect(lines.length).toBeGreaterThan(0); // the handler's own JSON error line
    expect(nonJsonLines(lines)).toEqual([]);
  });
});

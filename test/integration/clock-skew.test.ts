import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { captureOutput } from './support/output';

// The deployed handler, its SDK clients unmodified, against an emulated AWS whose clock is off
// from this host's. EMF metrics are on, so the ClockSkew metric shows on stdout as in Lambda.
// Each scenario uses its own channel, so it starts with no cached session or credentials.
const MIN_REMAINING_TTL = 120;
const MINUTE = 60_000;
const SIGNATURE_ERRORS = ['SignatureDoesNotMatch', 'InvalidSignatureException'];

let stack: LocalStack;
const post = (channel: string) =>
  fetch(`${stack.api.url}/v1/channels/${channel}/ice-servers`, { method: 'POST' });

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    channels: ['warm', 'ahead-10', 'behind-3', 'ahead-3', 'skew-behind', 'skew-ahead'],
    relay: false,
    minRemainingTtl: Duration.seconds(MIN_REMAINING_TTL),
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'false' },
  });
  // Wait for the start-up prewarm's calls, so that they run at the emulator's own time.
  await post('warm');
});
afterAll(() => stack?.close());
afterEach(() => stack.emulator.setClockOffset(0));

/** Requests `channel` until it answers 200, at most twice. */
async function upToTwoRequests(channel: string): Promise<{ status: number; ttl?: number }[]> {
  const answers: { status: number; ttl?: number }[] = [];
  while (answers.length < 2 && answers.at(-1)?.status !== 200) {
    const response = await post(channel);
    answers.push({ status: response.status, ttl: (await response.json()).ttl });
  }
  return answers;
}

/** The values of metric `name` in the EMF lines among `lines`. */
function metricValues(lines: readonly string[], name: string): number[] {
  return lines.flatMap((line) => {
    try {
      const value = JSON.parse(line)[name];
      return typeof value === 'number' ? [value] : Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  });
}

const signatureRejections = () =>
  SIGNATURE_ERRORS.reduce((sum, code) => sum + (stack.emulator.stats().rejected[code] ?? 0), 0);

describe('when the AWS clock is off from this host', () => {
  it.each([
    ['10 minutes ahead', 10 * MINUTE, 'ahead-10'],
    ['3.5 minutes behind', -3.5 * MINUTE, 'behind-3'],
    ['3.5 minutes ahead', 3.5 * MINUTE, 'ahead-3'],
  ])(
    'serves 200 within two requests, with at least minRemainingTtl, after at most one refused call, when it is %s',
    async (_, offsetMs, channel) => {
      stack.emulator.setClockOffset(offsetMs);
      const refusedBefore = signatureRejections();

      const answers = await upToTwoRequests(channel);

      expect(answers.at(-1)?.status).toBe(200);
      expect(answers.at(-1)?.ttl).toBeGreaterThanOrEqual(MIN_REMAINING_TTL);
      expect(signatureRejections() - refusedBefore).toBeLessThanOrEqual(1);
    },
  );

  it.each([
    ['behind', -3.5 * MINUTE, -210, 'skew-behind'],
    ['ahead', 3.5 * MINUTE, 210, 'skew-ahead'],
  ])(
    'emits the ClockSkew metric and logs a warning when it is 3.5 minutes %s',
    async (_, offsetMs, skewSeconds, channel) => {
      stack.emulator.setClockOffset(offsetMs);

      const { lines } = await captureOutput(() => upToTwoRequests(channel));

      const skews = metricValues(lines, 'ClockSkew');
      expect(skews).toHaveLength(1);
      expect(Math.abs((skews[0] ?? 0) - skewSeconds)).toBeLessThanOrEqual(2);
      expect(lines.some((line) => line.includes('"level":"WARN"') && /clock/i.test(line))).toBe(true);
    },
  );
});

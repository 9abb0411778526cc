import { describe, expect, it, vi } from 'vitest';
import { EnvironmentError, loadConfig } from '../../lambda/config';
import { DEMO_ARN, ROLE_ARN } from './support/handler';

const valid = {
  SCOPED_ROLE_ARN: ROLE_ARN,
  CHANNELS: JSON.stringify({ demo: DEMO_ARN }),
  AUTH_MODE: 'iam',
  BLOCKED_CALLERS_PARAMETER: '/kvs-ice-broker/blocked-callers',
};

describe('configuration at cold start', () => {
  it('reads the scoped role, the channels and the defaults', () => {
    const config = loadConfig(valid);

    expect(config.scopedRoleArn).toBe(ROLE_ARN);
    expect(config.channels).toEqual([{ name: 'demo', arn: DEMO_ARN, region: 'us-west-2', partition: 'aws' }]);
    expect(config.minRemainingTtlSeconds).toBe(120);
  });

  it.each([
    ['SCOPED_ROLE_ARN is missing', { ...valid, SCOPED_ROLE_ARN: undefined }, 'SCOPED_ROLE_ARN is not set'],
    [
      'SCOPED_ROLE_ARN is not a role ARN',
      { ...valid, SCOPED_ROLE_ARN: 'arn:aws:iam::123456789012:user/x' },
      'SCOPED_ROLE_ARN',
    ],
    ['CHANNELS is missing', { ...valid, CHANNELS: '' }, 'CHANNELS is not set'],
    ['CHANNELS is not JSON', { ...valid, CHANNELS: 'demo' }, 'CHANNELS must be a JSON object'],
    ['CHANNELS is empty', { ...valid, CHANNELS: '{}' }, 'CHANNELS names no channel'],
    [
      'a channel ARN is malformed',
      { ...valid, CHANNELS: '{"demo":"arn:aws:s3:::demo"}' },
      'CHANNELS["demo"]',
    ],
    [
      'a name does not match its ARN',
      { ...valid, CHANNELS: JSON.stringify({ other: DEMO_ARN }) },
      'CHANNELS["other"]',
    ],
    [
      'MIN_REMAINING_TTL_SECONDS is out of range',
      { ...valid, MIN_REMAINING_TTL_SECONDS: '300' },
      'MIN_REMAINING_TTL_SECONDS',
    ],
    ['AUTH_MODE is missing', { ...valid, AUTH_MODE: undefined }, 'AUTH_MODE is not set'],
    ['AUTH_MODE is not a mode', { ...valid, AUTH_MODE: 'open' }, 'AUTH_MODE must be one of jwt, iam, none'],
    [
      'BLOCKED_CALLERS_PARAMETER is missing (no caller could be blocked)',
      { ...valid, BLOCKED_CALLERS_PARAMETER: undefined },
      'BLOCKED_CALLERS_PARAMETER is not set',
    ],
    [
      'BLOCKED_CALLERS_PARAMETER is blank',
      { ...valid, BLOCKED_CALLERS_PARAMETER: '  ' },
      'BLOCKED_CALLERS_PARAMETER',
    ],
    [
      'CHANNELS_CLAIM is set for a mode that has no token to read it from',
      { ...valid, AUTH_MODE: 'iam', CHANNELS_CLAIM: 'channels' },
      'CHANNELS_CLAIM only applies with AUTH_MODE=jwt',
    ],
  ])('fails with a message naming the variable when %s', (_, env, message) => {
    expect(() => loadConfig(env)).toThrow(EnvironmentError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('lists every missing or invalid variable in one error, a line each, so that one cold start says all', () => {
    const env = { ...valid, SCOPED_ROLE_ARN: undefined, AUTH_MODE: 'open', UPSTREAM_ATTEMPTS: '9' };

    expect(() => loadConfig(env)).toThrow(
      new EnvironmentError(
        [
          'AUTH_MODE must be one of jwt, iam, none, got "open"',
          'SCOPED_ROLE_ARN is not set',
          'UPSTREAM_ATTEMPTS must be an integer from 1 to 6, got "9"',
        ].join('\n'),
      ),
    );
  });

  it('fails the cold start of the deployed handler module when configuration is missing', async () => {
    vi.resetModules();
    vi.stubEnv('SCOPED_ROLE_ARN', '');

    await expect(import('../../lambda/handler')).rejects.toThrow('SCOPED_ROLE_ARN is not set');

    vi.unstubAllEnvs();
  });

  // The tuning variables: name, config field, default, lowest and highest accepted value.
  const INTEGERS: [string, keyof ReturnType<typeof loadConfig>, number, number, number][] = [
    ['MIN_REMAINING_TTL_SECONDS', 'minRemainingTtlSeconds', 120, 0, 299],
    ['UPSTREAM_CONNECT_TIMEOUT_MS', 'connectTimeoutMs', 1000, 50, 10_000],
    ['UPSTREAM_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', 2000, 50, 10_000],
    ['UPSTREAM_DEADLINE_MS', 'deadlineMs', 6000, 100, 9000],
    ['ICE_CALLS_PER_SECOND', 'iceCallsPerSecond', 5, 1, 5],
    ['ICE_BUDGET_WAIT_MS', 'budgetWaitMs', 1500, 0, 5000],
    ['UPSTREAM_ATTEMPTS', 'upstreamAttempts', 3, 1, 6],
    ['ACCOUNT_ICE_CALLS_PER_SECOND', 'accountIceCallsPerSecond', 100, 1, 10_000],
    ['CALLER_ISSUANCES_PER_MINUTE', 'callerIssuancesPerMinute', 30, 1, 1000],
    ['VIEWER_SLOTS_PER_CALLER', 'viewerSlotsPerCaller', 3, 1, 10],
    ['SHARED_TABLE_TIMEOUT_MS', 'sharedTableTimeoutMs', 250, 20, 5000],
  ];

  describe.each(INTEGERS)('%s', (name, field, fallback, min, max) => {
    it(`defaults to ${fallback} when unset or blank`, () => {
      expect(loadConfig(valid)[field]).toBe(fallback);
      expect(loadConfig({ ...valid, [name]: '  ' })[field]).toBe(fallback);
    });

    it(`accepts its bounds ${min} and ${max}`, () => {
      expect(loadConfig({ ...valid, [name]: String(min) })[field]).toBe(min);
      expect(loadConfig({ ...valid, [name]: String(max) })[field]).toBe(max);
    });

    it.each([String(min - 1), String(max + 1), '1.5', 'ten', '0x10', '1e2', '-0'])(
      'fails the cold start naming the variable and its range for "%s"',
      (raw) => {
        expect(() => loadConfig({ ...valid, [name]: raw })).toThrow(
          `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
        );
      },
    );
  });

  describe('storage sessions', () => {
    it('are off unless STORAGE_SESSIONS=true', () => {
      expect(loadConfig({ ...valid, SIGNALING_ROLES: 'viewer' }).storageSessions).toBe(false);
      expect(
        loadConfig({ ...valid, SIGNALING_ROLES: 'viewer', STORAGE_SESSIONS: 'true' }).storageSessions,
      ).toBe(true);
    });

    it('fail the cold start without SIGNALING_ROLES: a join needs a signaling connection', () => {
      expect(() => loadConfig({ ...valid, STORAGE_SESSIONS: 'true' })).toThrow(
        "STORAGE_SESSIONS=true needs SIGNALING_ROLES: a storage session joins a viewer's or master's signaling connection",
      );
    });
  });

  describe('the shared table', () => {
    it('has none unless SHARED_TABLE names one, and no shared cache unless SHARED_CACHE=true', () => {
      expect(loadConfig(valid)).toMatchObject({ sharedTable: undefined, sharedCache: false });
      expect(loadConfig({ ...valid, SHARED_TABLE: 'broker-table', SHARED_CACHE: 'true' })).toMatchObject({
        sharedTable: 'broker-table',
        sharedCache: true,
      });
    });

    it('fails the cold start when SHARED_CACHE=true has no SHARED_TABLE to keep answers in', () => {
      expect(() => loadConfig({ ...valid, SHARED_CACHE: 'true' })).toThrow(
        'SHARED_CACHE=true needs SHARED_TABLE, the table that holds the answers',
      );
    });

    it('fails the cold start on a SHARED_CACHE that is neither true nor false', () => {
      expect(() => loadConfig({ ...valid, SHARED_TABLE: 't', SHARED_CACHE: 'yes' })).toThrow(
        'SHARED_CACHE must be true or false, got "yes"',
      );
    });
  });
});

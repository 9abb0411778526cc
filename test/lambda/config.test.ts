import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../lambda/config';
import { DEMO_ARN, ROLE_ARN } from './harness';

const valid = { SCOPED_ROLE_ARN: ROLE_ARN, CHANNELS: JSON.stringify({ demo: DEMO_ARN }), AUTH_MODE: 'iam' };

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
      'CHANNELS_CLAIM is set for a mode that has no token to read it from',
      { ...valid, AUTH_MODE: 'iam', CHANNELS_CLAIM: 'channels' },
      'CHANNELS_CLAIM only applies with AUTH_MODE=jwt',
    ],
  ])('fails with a message naming the variable when %s', (_, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('fails the cold start of the deployed handler module when configuration is missing', async () => {
    vi.resetModules();
    vi.stubEnv('SCOPED_ROLE_ARN', '');

    await expect(import('../../lambda/handler')).rejects.toThrow('SCOPED_ROLE_ARN is not set');

    vi.unstubAllEnvs();
  });
});

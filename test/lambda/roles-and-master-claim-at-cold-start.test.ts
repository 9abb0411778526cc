import { describe, expect, it } from 'vitest';
import { EnvironmentError, loadConfig } from '../../lambda/config';
import { DEMO_ARN, ROLE_ARN } from './support/handler';

const base = {
  SCOPED_ROLE_ARN: ROLE_ARN,
  CHANNELS: JSON.stringify({ demo: DEMO_ARN }),
  BLOCKED_CALLERS_PARAMETER: '/kvs-ice-broker/blocked-callers',
};

describe('the signaling settings at cold start', () => {
  it('serves no signaling role when SIGNALING_ROLES is unset', () => {
    expect(loadConfig({ ...base, AUTH_MODE: 'iam' }).signalingRoles).toEqual([]);
  });

  it.each([
    ['viewer', ['VIEWER']],
    ['viewer,master', ['VIEWER', 'MASTER']],
    [' master , viewer ', ['VIEWER', 'MASTER']],
  ])('reads SIGNALING_ROLES "%s" as the channel roles %j', (value, roles) => {
    expect(loadConfig({ ...base, AUTH_MODE: 'iam', SIGNALING_ROLES: value }).signalingRoles).toEqual(roles);
  });

  it('never serves the master role in auth mode none', () => {
    const config = loadConfig({ ...base, AUTH_MODE: 'none', SIGNALING_ROLES: 'viewer,master' });

    expect(config.signalingRoles).toEqual(['VIEWER']);
  });

  it.each([
    [
      'an unknown role',
      { AUTH_MODE: 'iam', SIGNALING_ROLES: 'viewer,admin' },
      '"admin" is not a signaling role',
    ],
    ['the master role alone', { AUTH_MODE: 'iam', SIGNALING_ROLES: 'master' }, 'needs the viewer role too'],
    ['a role twice', { AUTH_MODE: 'iam', SIGNALING_ROLES: 'viewer,viewer' }, 'more than once'],
    [
      'jwt with the master role but no master channels claim',
      { AUTH_MODE: 'jwt', SIGNALING_ROLES: 'viewer,master' },
      'MASTER_CHANNELS_CLAIM is not set',
    ],
    [
      'a master channels claim without the master role',
      { AUTH_MODE: 'jwt', SIGNALING_ROLES: 'viewer', MASTER_CHANNELS_CLAIM: 'masters' },
      'MASTER_CHANNELS_CLAIM only applies',
    ],
    [
      'a master channels claim in iam mode',
      { AUTH_MODE: 'iam', SIGNALING_ROLES: 'viewer,master', MASTER_CHANNELS_CLAIM: 'masters' },
      'MASTER_CHANNELS_CLAIM only applies',
    ],
  ])('fails at cold start naming the variable for %s', (_, env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(EnvironmentError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('fails at cold start, naming both variables, when the master channels claim is the channels claim', () => {
    const env = {
      AUTH_MODE: 'jwt',
      SIGNALING_ROLES: 'viewer,master',
      CHANNELS_CLAIM: 'channels',
      MASTER_CHANNELS_CLAIM: ' channels ',
    };

    expect(() => loadConfig({ ...base, ...env })).toThrow(
      new EnvironmentError(
        'MASTER_CHANNELS_CLAIM must name a different claim than CHANNELS_CLAIM ("channels"): ' +
          'the same claim would let every caller who may view a channel master it',
      ),
    );
  });

  it('reads the master channels claim with jwt and the master role', () => {
    const env = { AUTH_MODE: 'jwt', SIGNALING_ROLES: 'viewer,master', MASTER_CHANNELS_CLAIM: 'masters' };

    expect(loadConfig({ ...base, ...env }).masterChannelsClaim).toBe('masters');
  });
});

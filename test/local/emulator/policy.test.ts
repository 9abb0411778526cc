import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../local/emulator/errors';
import { evaluate, globMatch, parseSessionPolicy, policyAllows } from '../../../local/emulator/policy';

const DEMO = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';
const LOBBY = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1700000000000';
const ICE = 'kinesisvideo:GetIceServerConfig';

const policy = (...statements: object[]) =>
  parseSessionPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const malformedCode = (document: string) => {
  try {
    parseSessionPolicy(document);
    return 'parsed';
  } catch (error) {
    return error instanceof AwsError ? error.code : 'other';
  }
};

describe('session policy evaluation', () => {
  it('allows an action listed for the exact resource', () => {
    const p = policy({ Effect: 'Allow', Action: ICE, Resource: DEMO });

    expect(policyAllows(p, ICE, DEMO)).toBe(true);
  });

  it('denies by default a resource no statement lists', () => {
    const p = policy({ Effect: 'Allow', Action: ICE, Resource: DEMO });

    expect(policyAllows(p, ICE, LOBBY)).toBe(false);
  });

  it('denies an action no statement lists', () => {
    const p = policy({ Effect: 'Allow', Action: ICE, Resource: DEMO });

    expect(policyAllows(p, 'kinesisvideo:GetSignalingChannelEndpoint', DEMO)).toBe(false);
  });

  it('matches kinesisvideo:* against every KVS action, case-insensitively', () => {
    const p = policy({ Effect: 'Allow', Action: 'KinesisVideo:*', Resource: '*' });

    expect(policyAllows(p, ICE, DEMO)).toBe(true);
  });

  it('matches a channel/NAME/* resource wildcard across creation times', () => {
    const p = policy({
      Effect: 'Allow',
      Action: [ICE],
      Resource: ['arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/*'],
    });

    expect(policyAllows(p, ICE, DEMO)).toBe(true);
  });

  it('does not let a resource wildcard cross into another channel name', () => {
    const p = policy({
      Effect: 'Allow',
      Action: ICE,
      Resource: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/*',
    });

    expect(policyAllows(p, ICE, LOBBY)).toBe(false);
  });

  it('lets an explicit Deny override an Allow', () => {
    const p = policy(
      { Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' },
      { Effect: 'Deny', Action: ICE, Resource: DEMO },
    );

    expect(policyAllows(p, ICE, DEMO)).toBe(false);
  });

  it('accepts a single statement object instead of an array', () => {
    const p = parseSessionPolicy(
      JSON.stringify({ Statement: { Effect: 'Allow', Action: ICE, Resource: DEMO } }),
    );

    expect(policyAllows(p, ICE, DEMO)).toBe(true);
  });

  it.each([
    ['invalid JSON', '{"Statement":'],
    ['no statements', '{"Version":"2012-10-17","Statement":[]}'],
    [
      'a Principal',
      JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: ICE, Resource: DEMO } }),
    ],
    [
      'a Condition (unsupported here)',
      JSON.stringify({ Statement: { Effect: 'Allow', Action: ICE, Resource: DEMO, Condition: {} } }),
    ],
    [
      'an Effect other than Allow/Deny',
      JSON.stringify({ Statement: { Effect: 'Maybe', Action: ICE, Resource: DEMO } }),
    ],
    ['a missing Resource', JSON.stringify({ Statement: { Effect: 'Allow', Action: ICE } })],
    [
      'an unknown Version',
      JSON.stringify({ Version: '2020-01-01', Statement: { Effect: 'Allow', Action: ICE, Resource: DEMO } }),
    ],
  ])('rejects a policy with %s as MalformedPolicyDocument', (_case, document) => {
    expect(malformedCode(document)).toBe('MalformedPolicyDocument');
  });
});

describe('globMatch', () => {
  it.each([
    ['*', '', true],
    ['a*c', 'abbbc', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*', 'b', false],
    ['*demo*', 'x/demo/1', true],
    ['a.c', 'abc', false],
  ])('globMatch(%j, %j) is %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('stays fast on a pathological pattern that would make a backtracking regex explode', () => {
    const pattern = `${'a*'.repeat(50)}b`;

    expect(globMatch(pattern, 'a'.repeat(2000))).toBe(false);
  });
});

describe('a role session: the role policy intersected with the session policy', () => {
  const role = policy({ Effect: 'Allow', Action: ICE, Resource: DEMO });
  const everything = policy({ Effect: 'Allow', Action: '*', Resource: '*' });

  it('allows what both allow', () => {
    expect(evaluate(role, everything, ICE, DEMO)).toBeUndefined();
  });

  it('refuses what the session policy allows but the role does not', () => {
    expect(evaluate(role, everything, ICE, LOBBY)).toBe('noIdentityAllow');
  });

  it('refuses what the role allows but the session policy does not', () => {
    expect(evaluate(role, policy({ Effect: 'Allow', Action: ICE, Resource: LOBBY }), ICE, DEMO)).toBe(
      'noSessionAllow',
    );
  });

  it('gives the session all of the role without a session policy', () => {
    expect(evaluate(role, null, ICE, DEMO)).toBeUndefined();
  });

  it("lets an explicit Deny in either win over the other's Allow", () => {
    const deny = policy(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: ICE, Resource: DEMO },
    );

    expect(evaluate(role, deny, ICE, DEMO)).toBe('sessionDeny');
    expect(evaluate(deny, everything, ICE, DEMO)).toBe('identityDeny');
  });
});

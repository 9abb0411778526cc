import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiGatewayClaims } from '../../../lambda/http/claims';
import {
  authorized,
  buildHandler,
  captureLogs,
  DEMO_ARN,
  event,
  healthyUpstream,
  parse,
  signaling,
  unsignedToken,
  withToken,
} from '../support/handler';

const ISSUER = 'https://issuer.example';
/** Served channels whose names a number or a boolean element would spell once flattened. */
const NUMBER_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/2024/1700000000001';
const BOOLEAN_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/true/1700000000002';
const channelArns = [DEMO_ARN, NUMBER_ARN, BOOLEAN_ARN];

/**
 * Claim values as identity providers put them in tokens, the text API Gateway hands the function
 * for each (Go's formatting), the channel asked for, and whether the claim grants it. Only an
 * element that is one channel name as the JSON claim holds it grants that channel.
 */
const SHAPES: [string, unknown, string, boolean][] = [
  ['a string naming the channel', 'demo', 'demo', true],
  ['a space-separated string', 'lobby demo', 'demo', true],
  ['a comma-separated string', 'lobby,demo', 'demo', true],
  ['an array of names', ['lobby', 'demo'], 'demo', true],
  ['an array whose other element is an object', [{ k: 'x' }, 'demo'], 'demo', true],
  ['an array element holding spaces', ['x demo y'], 'demo', false],
  ['an array element holding a comma', ['lobby,demo'], 'demo', false],
  ['an object inside an array', [{ k: 'x demo y' }], 'demo', false],
  ['a realistic object inside an array', [{ name: 'lobby', label: 'cam demo' }], 'demo', false],
  ['an object whose value is the name', [{ name: 'demo' }], 'demo', false],
  ['a nested array', [['demo']], 'demo', false],
  ['a nested array of two', [['lobby', 'demo']], 'demo', false],
  ['an object', { demo: true }, 'demo', false],
  ['an object whose value names the channel', { channels: 'demo' }, 'demo', false],
  ['a string that looks like a flattened array', '[demo]', 'demo', false],
  ['a string that looks like a flattened object', 'map[k:demo]', 'demo', false],
  ['a number', 2024, '2024', false],
  ['an array of a number', [2024], '2024', false],
  ['an array of the name as a string', ['2024'], '2024', true],
  ['a boolean', true, 'true', false],
  ['an array of a boolean', [true], 'true', false],
  ['an array holding null', [null, 'lobby'], 'demo', false],
  ['null', null, 'demo', false],
  ['an empty array', [], 'demo', false],
];

const kvsCalls = () => signaling.commandCalls(GetIceServerConfigCommand).length;

beforeEach(() => healthyUpstream());

describe('what a channels claim grants, whatever shape the token gives it', () => {
  const handler = () => buildHandler({ authMode: 'jwt', channelsClaim: 'channels', channelArns });

  it.each(SHAPES)('%s: %j', async (_, value, channel, grants) => {
    const request = withToken(event(channel), { iss: ISSUER, sub: 'alice', channels: value });

    const { status, body } = parse(await handler()(request));

    expect(status).toBe(grants ? 200 : 403);
    if (!grants) expect(body.error.code).toBe('ChannelNotAllowed');
    expect(kvsCalls()).toBe(grants ? 1 : 0);
  });
});

describe('what a master channels claim grants, whatever shape the token gives it', () => {
  const handler = () =>
    buildHandler({
      authMode: 'jwt',
      signalingRoles: ['viewer', 'master'],
      masterChannelsClaim: 'master_channels',
      channelArns,
    });

  it.each(SHAPES)('%s: %j', async (_, value, channel, grants) => {
    const request = withToken(event(channel, undefined, {}, 'master'), {
      iss: ISSUER,
      sub: 'alice',
      master_channels: value,
    });

    const { status, body } = parse(await handler()(request));

    expect(status).toBe(grants ? 200 : 403);
    if (!grants) expect(body.error.code).toBe('ChannelNotAllowed');
  });
});

describe('claim elements that grant nothing', () => {
  it('are logged by claim, place and kind, never by value', async () => {
    const handler = buildHandler({
      authMode: 'jwt',
      channelsClaim: 'channels',
      channelArns,
      logLevel: 'INFO',
    });
    const request = withToken(event('demo'), {
      iss: ISSUER,
      sub: 'alice',
      channels: ['demo', { label: 'secret-label' }, ['nested'], 7, 'two words'],
    });

    const { result, logs } = await captureLogs(() => handler(request));

    expect(parse(result).status).toBe(200);
    const line = logs.split('\n').find((text) => text.includes('granted nothing'));
    expect(JSON.parse(line ?? '{}').ignoredClaimElements).toEqual([
      { claim: 'channels', index: 1, kind: 'object' },
      { claim: 'channels', index: 2, kind: 'array' },
      { claim: 'channels', index: 3, kind: 'number' },
      { claim: 'channels', index: 4, kind: 'not a channel name' },
    ]);
    expect(logs).not.toContain('secret-label');
    expect(logs).not.toContain('two words');
  });
});

describe('the token the function reads claims from is the one API Gateway verified', () => {
  const handler = () => buildHandler({ authMode: 'jwt', channelsClaim: 'channels' });
  const verified = { iss: ISSUER, sub: 'alice', channels: ['lobby'] };
  const claims = { jwt: { claims: apiGatewayClaims(verified), scopes: null } };
  const withHeader = (authorization: string | undefined) => {
    const base = authorized(event('demo'), claims);
    return { ...base, headers: { ...base.headers, ...(authorization ? { authorization } : {}) } };
  };

  it.each([
    ['no Authorization header', undefined],
    ['an Authorization header that holds no JWT', 'Bearer not-a-token'],
    [
      'a token granting more channels than the verified one',
      `Bearer ${unsignedToken({ ...verified, channels: ['lobby', 'demo'] })}`,
    ],
    [
      'a token of another subject',
      `Bearer ${unsignedToken({ ...verified, sub: 'mallory', channels: ['demo'] })}`,
    ],
  ])('refuses with 403 CallerNotIdentified, without calling AWS, given %s', async (_, authorization) => {
    const { status, body } = parse(await handler()(withHeader(authorization)));

    expect(status).toBe(403);
    expect(body.error.code).toBe('CallerNotIdentified');
    expect(kvsCalls()).toBe(0);
  });

  it('takes the token with or without the Bearer prefix, as API Gateway does', async () => {
    const token = unsignedToken({ ...verified, channels: ['demo'] });
    const request = withHeader(token);
    request.requestContext = {
      ...request.requestContext,
      authorizer: { jwt: { claims: apiGatewayClaims({ ...verified, channels: ['demo'] }), scopes: null } },
    } as typeof request.requestContext;

    const { status } = parse(await handler()(request));

    expect(status).toBe(200);
  });

  it('needs no token when no channels claim is configured (the identity comes from the authorizer)', async () => {
    const { status } = parse(await buildHandler({ authMode: 'jwt' })(withHeader(undefined)));

    expect(status).toBe(200);
  });
});

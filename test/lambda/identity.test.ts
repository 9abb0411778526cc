import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorized, buildHandler, event, healthyUpstream, parse, signaling } from './harness';

const jwt = (claims: Record<string, string>) => ({
  jwt: { claims: { iss: 'https://issuer.example', ...claims }, scopes: null },
});
const sentClientIds = () =>
  signaling.commandCalls(GetIceServerConfigCommand).map((call) => call.args[0].input.ClientId);

describe('per-user binding and channel claims', () => {
  beforeEach(() => healthyUpstream());

  it('sends a stable, opaque, KVS-safe ClientId and Username derived from the JWT issuer and subject', async () => {
    await buildHandler()(authorized(event('demo'), jwt({ sub: 'alice@example.com' })));
    await buildHandler()(authorized(event('demo'), jwt({ sub: 'alice@example.com' })));

    const [first, second] = sentClientIds();
    expect(first).toBe(second);
    expect(first).toMatch(/^[a-zA-Z0-9_.-]{1,256}$/);
    expect(first).not.toContain('alice');
    expect(signaling.commandCalls(GetIceServerConfigCommand)[0]?.args[0].input.Username).toBe(first);
  });

  it('gives different users, and the same subject at another issuer, different ids', async () => {
    await buildHandler()(authorized(event('demo'), jwt({ sub: 'alice' })));
    await buildHandler()(authorized(event('demo'), jwt({ sub: 'bob' })));
    await buildHandler()(authorized(event('demo'), jwt({ sub: 'alice', iss: 'https://other.example' })));

    expect(new Set(sentClientIds()).size).toBe(3);
  });

  it('caches ICE servers per user: a second user makes its own KVS call, a repeat does not', async () => {
    const handler = buildHandler();

    await handler(authorized(event('demo'), jwt({ sub: 'alice' })));
    await handler(authorized(event('demo'), jwt({ sub: 'bob' })));
    await handler(authorized(event('demo'), jwt({ sub: 'alice' })));

    expect(sentClientIds()).toHaveLength(2);
  });

  it('derives the id from the IAM caller (Cognito identity or user ARN) when the API uses IAM auth', async () => {
    const iam = {
      iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/app/device-1', cognitoIdentity: null },
    };

    await buildHandler()(authorized(event('demo'), iam));

    expect(sentClientIds()[0]).toMatch(/^iam-[a-zA-Z0-9_-]+$/);
  });

  it('sends no ClientId for anonymous callers, who share the channel entry', async () => {
    await buildHandler()(event('demo'));

    expect(sentClientIds()).toEqual([undefined]);
  });

  it.each([
    ['an API Gateway flattened array', '[lobby demo]'],
    ['a space-separated string', 'lobby demo'],
    ['a comma-separated string', 'lobby,demo'],
  ])('serves a channel the token grants as %s', async (_, channels) => {
    const handler = buildHandler({ channelsClaim: 'channels' });

    const { status } = parse(await handler(authorized(event('demo'), jwt({ sub: 'alice', channels }))));

    expect(status).toBe(200);
  });

  it('answers 403 ChannelNotAllowed for a channel outside the token claim, without calling AWS', async () => {
    const handler = buildHandler({ channelsClaim: 'channels' });

    const { status, body } = parse(
      await handler(authorized(event('demo'), jwt({ sub: 'alice', channels: '[lobby]' }))),
    );

    expect(status).toBe(403);
    expect(body.error.code).toBe('ChannelNotAllowed');
    expect(sentClientIds()).toHaveLength(0);
  });

  it('answers 403 when the token lacks the channels claim altogether', async () => {
    const handler = buildHandler({ channelsClaim: 'channels' });

    const { status } = parse(await handler(authorized(event('demo'), jwt({ sub: 'alice' }))));

    expect(status).toBe(403);
  });
});

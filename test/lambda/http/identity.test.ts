import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  authorized,
  buildHandler,
  event,
  healthyUpstream,
  parse,
  signaling,
  withToken,
} from '../support/handler';

/** The ice-servers request for `channel` with a token of `claims` (issuer set); an `undefined` claim is absent. */
const token = (claims: Record<string, unknown>, channel = 'demo') =>
  withToken(event(channel), { iss: 'https://issuer.example', ...claims });
const sentClientIds = () =>
  signaling.commandCalls(GetIceServerConfigCommand).map((call) => call.args[0].input.ClientId);

describe('per-user binding and channel claims', () => {
  beforeEach(() => healthyUpstream());

  it('sends a stable, opaque, KVS-safe ClientId and Username derived from the JWT issuer and subject', async () => {
    await buildHandler({ authMode: 'jwt' })(token({ sub: 'alice@example.com' }));
    await buildHandler({ authMode: 'jwt' })(token({ sub: 'alice@example.com' }));

    const [first, second] = sentClientIds();
    expect(first).toBe(second);
    expect(first).toMatch(/^[a-zA-Z0-9_.-]{1,256}$/);
    expect(first).not.toContain('alice');
    expect(signaling.commandCalls(GetIceServerConfigCommand)[0]?.args[0].input.Username).toBe(first);
  });

  it('gives different users, and the same subject at another issuer, different ids', async () => {
    await buildHandler({ authMode: 'jwt' })(token({ sub: 'alice' }));
    await buildHandler({ authMode: 'jwt' })(token({ sub: 'bob' }));
    await buildHandler({ authMode: 'jwt' })(token({ sub: 'alice', iss: 'https://other.example' }));

    expect(new Set(sentClientIds()).size).toBe(3);
  });

  it('caches ICE servers per user: a second user makes its own KVS call, a repeat does not', async () => {
    const handler = buildHandler({ authMode: 'jwt' });

    await handler(token({ sub: 'alice' }));
    await handler(token({ sub: 'bob' }));
    await handler(token({ sub: 'alice' }));

    expect(sentClientIds()).toHaveLength(2);
  });

  it('derives the id from the IAM caller (Cognito identity or user ARN) when the API uses IAM auth', async () => {
    const iam = {
      iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/app/device-1', cognitoIdentity: null },
    };

    await buildHandler({ authMode: 'iam' })(authorized(event('demo'), iam));

    expect(sentClientIds()[0]).toMatch(/^iam-[a-zA-Z0-9_-]+$/);
  });

  it('sends no ClientId for anonymous callers of an auth=none deployment, who share the channel entry', async () => {
    await buildHandler({ authMode: 'none' })(event('demo'));

    expect(sentClientIds()).toEqual([undefined]);
  });

  it.each([
    ['a JSON array of names', ['lobby', 'demo']],
    ['a space-separated string', 'lobby demo'],
    ['a comma-separated string', 'lobby,demo'],
  ])('serves a channel the token grants as %s', async (_, channels) => {
    const handler = buildHandler({ authMode: 'jwt', channelsClaim: 'channels' });

    const { status } = parse(await handler(token({ sub: 'alice', channels })));

    expect(status).toBe(200);
  });

  it('answers 403 ChannelNotAllowed for a channel outside the token claim, without calling AWS', async () => {
    const handler = buildHandler({ authMode: 'jwt', channelsClaim: 'channels' });

    const { status, body } = parse(await handler(token({ sub: 'alice', channels: ['lobby'] })));

    expect(status).toBe(403);
    expect(body.error.code).toBe('ChannelNotAllowed');
    expect(sentClientIds()).toHaveLength(0);
  });

  it('answers 403 when the token lacks the channels claim altogether', async () => {
    const handler = buildHandler({ authMode: 'jwt', channelsClaim: 'channels' });

    const { status } = parse(await handler(token({ sub: 'alice' })));

    expect(status).toBe(403);
  });

  // Token shapes x channels claim: who the function serves, and the ClientId KVS receives.
  const USER = /^u-[a-zA-Z0-9_-]{32}$/;
  const CLIENT = /^c-[a-zA-Z0-9_-]{32}$/;
  const shapes: [string, Record<string, unknown>, RegExp | undefined][] = [
    ['a user token (sub)', { sub: 'alice' }, USER],
    ['a client-credentials token with client_id only', { client_id: 'camera-backend' }, CLIENT],
    ['a token with azp only', { azp: 'camera-backend' }, CLIENT],
    ['a token with none of sub, client_id, azp', {}, undefined],
    ['a token whose sub is empty', { sub: '' }, undefined],
  ];
  const claimForms: [string, unknown, number][] = [
    ['present', 'demo', 200],
    ['a JSON array (API Gateway passes "[lobby demo]")', ['lobby', 'demo'], 200],
    ['present but empty', '', 403],
    ['listing another channel', ['lobby'], 403],
    ['absent', undefined, 403],
  ];

  describe.each(shapes)('%s', (_, identity, clientIdShape) => {
    it(`without a channels claim configured: ${clientIdShape ? '200 with its own ClientId' : '403 CallerNotIdentified, no KVS call'}`, async () => {
      const { status, body } = parse(await buildHandler({ authMode: 'jwt' })(token(identity)));

      if (clientIdShape) {
        expect(status).toBe(200);
        expect(sentClientIds()).toEqual([expect.stringMatching(clientIdShape)]);
      } else {
        expect(status).toBe(403);
        expect(body.error.code).toBe('CallerNotIdentified');
        expect(sentClientIds()).toHaveLength(0);
      }
    });

    it.each(claimForms)('with channelsClaim configured and the claim %s', async (_, channels, expected) => {
      const handler = buildHandler({ authMode: 'jwt', channelsClaim: 'channels' });

      const { status, body } = parse(await handler(token({ ...identity, channels })));

      if (!clientIdShape) {
        expect(status).toBe(403);
        expect(body.error.code).toBe('CallerNotIdentified');
      } else {
        expect(status).toBe(expected);
        if (expected === 403) expect(body.error.code).toBe('ChannelNotAllowed');
      }
      expect(sentClientIds()).toEqual(
        status === 200 && clientIdShape ? [expect.stringMatching(clientIdShape)] : [],
      );
    });
  });

  it('gives two machine clients of one issuer two different ClientIds, and a user never the id of a client', async () => {
    const handler = buildHandler({ authMode: 'jwt' });

    await handler(token({ client_id: 'camera-a' }));
    await handler(token({ client_id: 'camera-b' }));
    await handler(token({ azp: 'camera-c' }));
    await handler(token({ sub: 'camera-a' }));

    expect(new Set(sentClientIds()).size).toBe(4);
  });

  it('names the caller by sub when a token carries sub and client_id (a user signed in through an app)', async () => {
    const handler = buildHandler({ authMode: 'jwt' });

    await handler(token({ sub: 'alice', client_id: 'web-app' }));
    await handler(token({ sub: 'alice' }));

    expect(new Set(sentClientIds()).size).toBe(1);
  });

  it.each([
    [
      'auth=jwt, but the event carries no JWT claims (a route without the authorizer)',
      'jwt' as const,
      undefined,
    ],
    [
      'auth=jwt, but the event carries only an IAM caller',
      'jwt' as const,
      { iam: { userArn: 'arn:aws:iam::123456789012:user/x' } },
    ],
    ['auth=iam, but the event carries no IAM caller', 'iam' as const, undefined],
    [
      'auth=iam, but the event carries only JWT claims',
      'iam' as const,
      { jwt: { claims: { sub: 'alice' } } },
    ],
    [
      'auth=iam, with an IAM caller whose ids are all empty',
      'iam' as const,
      { iam: { userArn: '', callerId: null, cognitoIdentity: { identityId: null } } },
    ],
  ])('refuses with 403 CallerNotIdentified when %s, without calling AWS', async (_, authMode, authorizer) => {
    const request = authorizer ? authorized(event('demo'), authorizer) : event('demo');

    const { status, body } = parse(await buildHandler({ authMode })(request));

    expect(status).toBe(403);
    expect(body.error.code).toBe('CallerNotIdentified');
    expect(sentClientIds()).toHaveLength(0);
  });

  it('serves an auth=none deployment anonymously even when an event carries claims (the function trusts its mode, not the event)', async () => {
    await buildHandler({ authMode: 'none' })(token({ sub: 'alice' }));

    expect(sentClientIds()).toEqual([undefined]);
  });
});

import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { bearer, clientIdsAtEmulator, postIceServers, startAuthStack } from './support/stack';
import { startTestIssuer, type TestIssuer } from './support/test-issuer';

const AUDIENCE = 'kvs-ice-broker-test';

describe('auth=jwt with a channels claim: every valid token must name a caller and carry the claim', () => {
  let issuer: TestIssuer;
  let stack: LocalStack;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    stack = await startAuthStack({
      channels: ['demo', 'lobby'],
      auth: { mode: 'jwt', issuer: issuer.url, audience: [AUDIENCE], channelsClaim: 'channels' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await issuer?.close();
  });
  beforeEach(() => stack.emulator.resetStats());

  /** A correctly signed token for the audience, with `claims` instead of the default `sub`. */
  const tokenWith = (claims: JWTPayload) => {
    const { sub: _sub, ...base } = issuer.validClaims(AUDIENCE);
    return issuer.sign({ ...base, ...claims });
  };

  it.each([
    [
      'a client-credentials token (client_id, no sub)',
      { client_id: 'camera-backend', channels: ['demo'] },
      /^c-/,
    ],
    ['a token with azp and no sub', { azp: 'doorbell-backend', channels: ['demo'] }, /^c-/],
    ['a user token', { sub: 'alice', channels: ['demo'] }, /^u-/],
  ])('serves %s the channels its claim lists, under its own ClientId', async (_, claims, prefix) => {
    const response = await postIceServers(stack, 'demo', bearer(await tokenWith(claims)));

    expect(response.status).toBe(200);
    expect(clientIdsAtEmulator(stack)).toEqual([expect.stringMatching(prefix)]);
  });

  it('refuses a client-credentials token a channel its claim does not list (it used to get every channel)', async () => {
    const response = await postIceServers(
      stack,
      'lobby',
      bearer(await tokenWith({ client_id: 'camera-backend', channels: ['demo'] })),
    );

    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('ChannelNotAllowed');
    expect(clientIdsAtEmulator(stack)).toEqual([]);
  });

  it.each([
    ['an object inside the array', [{ name: 'lobby', label: 'cam demo' }]],
    ['an element holding spaces', ['x demo y']],
    ['a nested array', [['demo']]],
  ])(
    'grants nothing for a claim whose element is %s (API Gateway flattens it to text holding "demo")',
    async (_, channels) => {
      const response = await postIceServers(
        stack,
        'demo',
        bearer(await tokenWith({ sub: 'alice', channels })),
      );

      expect(response.status).toBe(403);
      expect((await response.json()).error.code).toBe('ChannelNotAllowed');
      expect(clientIdsAtEmulator(stack)).toEqual([]);
    },
  );

  it('refuses a correctly signed token without the channels claim with 403 ChannelNotAllowed', async () => {
    const response = await postIceServers(
      stack,
      'demo',
      bearer(await tokenWith({ client_id: 'camera-backend' })),
    );

    expect(response.status).toBe(403);
    expect((await response.json()).error).toMatchObject({
      code: 'ChannelNotAllowed',
      message: expect.stringContaining('channels'),
    });
  });

  it('refuses a correctly signed token that names no caller (no sub, client_id or azp) with 403 CallerNotIdentified', async () => {
    const response = await postIceServers(stack, 'demo', bearer(await tokenWith({ channels: ['demo'] })));

    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('CallerNotIdentified');
    expect(clientIdsAtEmulator(stack)).toEqual([]);
  });

  it('gives two machine clients of one issuer two ClientIds at KVS', async () => {
    await postIceServers(
      stack,
      'demo',
      bearer(await tokenWith({ client_id: 'camera-a', channels: ['demo'] })),
    );
    await postIceServers(
      stack,
      'demo',
      bearer(await tokenWith({ client_id: 'camera-b', channels: ['demo'] })),
    );

    expect(new Set(clientIdsAtEmulator(stack)).size).toBe(2);
  });
});

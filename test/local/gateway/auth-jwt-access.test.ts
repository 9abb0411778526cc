import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MintRequest } from '../../../local/identity-provider/token-minter';
import type { LocalStack } from '../../../local/runner';
import { bearer, clientIdsAtEmulator, mintToken, postIceServers, startAuthStack } from './support/stack';

const KVS_CLIENT_ID = /^[a-zA-Z0-9_.-]{1,256}$/;

describe('auth=jwt with the local issuer, a channels claim and a required scope', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({
      channels: ['demo', 'lobby'],
      auth: { mode: 'jwt', scopes: ['ice:vend'], channelsClaim: 'channels' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.emulator.resetStats();
  });

  const tokenFor = (sub: string, channels: string[], extra: Partial<MintRequest> = {}) =>
    mintToken(stack, { sub, channels, scope: 'ice:vend', ...extra });

  it('describes the local issuer and the default audience', () => {
    expect(stack.auth).toMatchObject({
      mode: 'jwt',
      issuerUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      audience: ['kvs-ice-broker-local'],
    });
  });

  it('serves ICE servers to a caller whose token grants the channel', async () => {
    const token = await tokenFor('alice', ['demo']);

    const response = await postIceServers(stack, 'demo', bearer(token));

    expect(response.status).toBe(200);
    expect((await response.json()).iceServers.length).toBeGreaterThan(1);
  });

  it('refuses a served channel that is missing from the token with 403 ChannelNotAllowed', async () => {
    const token = await tokenFor('alice', ['demo']);

    const response = await postIceServers(stack, 'lobby', bearer(token));

    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('ChannelNotAllowed');
  });

  it('refuses a channel the API does not serve with 403, even when the token names it', async () => {
    const token = await tokenFor('alice', ['elsewhere']);

    const response = await postIceServers(stack, 'elsewhere', bearer(token));

    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('ChannelNotAllowed');
  });

  it('answers 403 Forbidden, before the function, to a token without the required scope', async () => {
    const token = await tokenFor('alice', ['demo'], { scope: 'profile' });

    const response = await postIceServers(stack, 'demo', bearer(token));

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('rejects a token of the local issuer that is not valid yet with 401', async () => {
    const token = await tokenFor('alice', ['demo'], { notBeforeSeconds: 600 });

    const response = await postIceServers(stack, 'demo', bearer(token));

    expect(response.status).toBe(401);
  });

  it('sends KVS the same ClientId for every request of one user', async () => {
    const first = await tokenFor('stable-user', ['demo']);
    const second = await tokenFor('stable-user', ['demo']);

    await postIceServers(stack, 'demo', bearer(first));
    await postIceServers(stack, 'demo', bearer(second));

    expect(clientIdsAtEmulator(stack)).toHaveLength(1);
  });

  it('sends KVS a distinct ClientId per user', async () => {
    const carol = await tokenFor('carol', ['demo']);
    const dave = await tokenFor('dave', ['demo']);

    await postIceServers(stack, 'demo', bearer(carol));
    await postIceServers(stack, 'demo', bearer(dave));

    expect(clientIdsAtEmulator(stack)).toHaveLength(2);
  });

  it('sends KVS a ClientId that KVS accepts and that does not reveal the subject', async () => {
    const sub = 'erin@example.com';
    const token = await tokenFor(sub, ['demo']);

    await postIceServers(stack, 'demo', bearer(token));

    const [clientId = ''] = clientIdsAtEmulator(stack);
    expect(clientId).toMatch(KVS_CLIENT_ID);
    expect(clientId).not.toContain('erin');
  });
});

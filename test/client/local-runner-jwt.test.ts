import { IceServerClient } from '@kvs-ice-broker/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { mintToken, startAuthStack } from '../local/gateway/support/stack';

describe('IceServerClient against the local runner (auth=jwt, channels claim)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({
      channels: ['demo', 'lobby'],
      auth: { mode: 'jwt', channelsClaim: 'channels' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends the token from getToken and gets the ICE servers of a granted channel', async () => {
    const token = await mintToken(stack, { sub: 'alice', channels: ['demo'] });
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'demo', getToken: () => token });

    const servers = await client.getIceServers();

    expect(servers.iceServers.length).toBeGreaterThan(1);
  });

  it('rejects with ChannelNotAllowed (403) when the token does not grant the channel', async () => {
    const token = await mintToken(stack, { sub: 'alice', channels: ['demo'] });
    const client = new IceServerClient({
      baseUrl: stack.api.url,
      channel: 'lobby',
      getToken: async () => token,
    });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'ChannelNotAllowed', status: 403 });
  });

  it('rejects with Unauthorized (401) without a token, and does not retry', async () => {
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'demo' });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'Unauthorized', status: 401 });
  });

  it('answers no CORS preflight for a loopback origin: the loopback default is for auth=none only', async () => {
    const response = await fetch(`${stack.api.url}/v1/channels/demo/ice-servers`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(stack.corsOrigins).toEqual([]);
  });
});

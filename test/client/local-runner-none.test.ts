import { IceServerClient, IceServerError } from '@kvs-ice-broker/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';

/** A fetch that counts the requests that reach the local API. */
function countingFetch() {
  const counter = { requests: 0 };
  const fetch = (input: string, init: RequestInit) => {
    counter.requests++;
    return globalThis.fetch(input, init);
  };
  return { counter, fetch };
}

describe('IceServerClient against the local runner (auth=none)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo', 'lobby', 'busy'] });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.emulator.clearFaults();
  });

  it('gets the STUN server and both TURN server sets, valid for close to 300 s', async () => {
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'demo' });

    const servers = await client.getIceServers();

    expect(servers.iceServers).toHaveLength(3);
    expect(servers.iceServers[0]?.urls).toEqual([expect.stringMatching(/^stun:/)]);
    expect(servers.ttl).toBeGreaterThan(200);
    expect(servers.ttl).toBeLessThanOrEqual(300);
    expect(servers.channelArn).toBe(stack.channelArns.get('demo'));
  });

  it('asks for one server set and only turn: UDP when told to', async () => {
    const client = new IceServerClient({
      baseUrl: stack.api.url,
      channel: 'lobby',
      role: 'MASTER',
      transports: ['udp'],
      maxServerSets: 1,
    });

    const { iceServers } = await client.getIceServers();

    expect(iceServers).toHaveLength(2);
    expect(iceServers[1]?.urls).toEqual([expect.stringMatching(/^turn:127\.0\.0\.1:\d+\?transport=udp$/)]);
  });

  it('makes one request for concurrent callers and serves the next ones from its cache', async () => {
    const { counter, fetch } = countingFetch();
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'demo', fetch });

    const answers = await Promise.all(Array.from({ length: 5 }, () => client.getIceServers()));
    await client.getIceServers();

    expect(counter.requests).toBe(1);
    expect(new Set(answers.map((answer) => answer.iceServers[1]?.username)).size).toBe(1);
  });

  it("retries the broker's 429 after its Retry-After and gets through", async () => {
    // KVS keeps throttling for longer than the broker's own bounded retries of one request.
    stack.emulator.setFault('GetIceServerConfig', { kind: 'throttle', times: 3, channel: 'busy' });
    const { counter, fetch } = countingFetch();
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'busy', fetch });

    const servers = await client.getIceServers();

    expect(counter.requests).toBe(2);
    expect(servers.iceServers.length).toBeGreaterThan(1);
  });

  it('rejects a channel the API does not serve with ChannelNotAllowed and status 403', async () => {
    const client = new IceServerClient({ baseUrl: stack.api.url, channel: 'elsewhere' });

    const error = await client.getIceServers().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(IceServerError);
    expect(error).toMatchObject({ code: 'ChannelNotAllowed', status: 403, retryable: false });
  });

  it('rejects a wrong base URL with NotFound, as API Gateway answers it', async () => {
    const client = new IceServerClient({ baseUrl: `${stack.api.url}/no-such-stage`, channel: 'demo' });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'NotFound', status: 404 });
  });
});

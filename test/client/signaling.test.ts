import { describe, expect, it } from 'vitest';
import { IceServerError } from '../../client/errors';
import { SignalingConnector, sdkConfig } from '../../client/signaling';
import { brokerError, stubFetch } from './support/stub-fetch';

const ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';

/** A viewer bundle as the broker answers it, its URL signed until `signedFor` seconds after the TURN expiry's base. */
function bundle(n = 1, role: 'VIEWER' | 'MASTER' = 'VIEWER') {
  return {
    role,
    ...(role === 'VIEWER' ? { clientId: `u-abc.suffix${n}` } : {}),
    channelArn: ARN,
    region: 'us-west-2',
    signaling: {
      url: `wss://v-1.kinesisvideo.us-west-2.amazonaws.com/?X-Amz-ChannelARN=x&X-Amz-Signature=sig${n}`,
      expiresAt: '2026-11-24T10:05:00.000Z',
    },
    iceServers: [{ urls: ['stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'] }],
    ttl: 300,
    expiresAt: '2026-11-24T10:05:00.000Z',
  };
}

const connector = (fetch: ReturnType<typeof stubFetch>['fetch'], getToken?: () => string) =>
  new SignalingConnector({ baseUrl: 'http://127.0.0.1:8080', channel: 'demo', fetch, getToken });

describe('SignalingConnector.connect', () => {
  it('POSTs to the role route with the bearer token and returns the connection', async () => {
    const stub = stubFetch({ body: bundle() });

    const connection = await connector(stub.fetch, () => 'token-1').connect('VIEWER');

    expect(stub.requests[0]?.url).toBe('http://127.0.0.1:8080/v1/channels/demo/viewer');
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer token-1');
    expect(connection).toMatchObject({ role: 'VIEWER', clientId: 'u-abc.suffix1', channelArn: ARN });
    expect(connection.signaling.endpoint).toBe('wss://v-1.kinesisvideo.us-west-2.amazonaws.com');
  });

  it('gives the SDK SignalingClient its configuration: channel, endpoint, ClientId, role, Region', async () => {
    const connection = await connector(stubFetch({ body: bundle() }).fetch).connect('VIEWER');

    expect(sdkConfig(connection)).toEqual({
      channelARN: ARN,
      channelEndpoint: 'wss://v-1.kinesisvideo.us-west-2.amazonaws.com',
      clientId: 'u-abc.suffix1',
      role: 'VIEWER',
      region: 'us-west-2',
    });
  });

  it("rejects with the broker's code, e.g. 403 ChannelNotAllowed for a master it does not grant", async () => {
    const stub = stubFetch(brokerError(403, 'ChannelNotAllowed'));

    const error = await connector(stub.fetch)
      .connect('MASTER')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IceServerError);
    expect(error).toMatchObject({ code: 'ChannelNotAllowed', status: 403 });
    expect(stub.requests[0]?.url).toBe('http://127.0.0.1:8080/v1/channels/demo/master');
  });

  it('retries a 429 after its Retry-After', async () => {
    const stub = stubFetch(brokerError(429, 'Throttled', { 'retry-after': '0' }), { body: bundle() });

    const connection = await connector(stub.fetch).connect('VIEWER');

    expect(stub.requests).toHaveLength(2);
    expect(connection.clientId).toBe('u-abc.suffix1');
  });

  it('refuses an answer that is not a signaling connection with InvalidResponse', async () => {
    const error = await connector(stubFetch({ body: { iceServers: [] } }).fetch)
      .connect('VIEWER')
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'InvalidResponse' });
  });
});

describe('SignalingConnector.requestSigner, the SDK SignalingClient requestSigner', () => {
  it('uses the first connection URL, then asks the broker for a fresh one on every reconnect', async () => {
    const stub = stubFetch({ body: bundle(2) }, { body: bundle(3) });
    const c = connector(stub.fetch);
    const first = { ...(await c.connect('VIEWER')) };
    const fresh = { ...first, signaling: { ...first.signaling, expiresAt: new Date(Date.now() + 240_000) } };
    const signer = c.requestSigner(fresh);

    const urls = [
      await signer.getSignedURL(first.signaling.endpoint, { 'X-Amz-ChannelARN': ARN }),
      await signer.getSignedURL(first.signaling.endpoint, { 'X-Amz-ChannelARN': ARN }),
      await signer.getSignedURL(first.signaling.endpoint, { 'X-Amz-ChannelARN': ARN }),
    ];

    expect(urls.map((url) => new URL(url).searchParams.get('X-Amz-Signature'))).toEqual([
      'sig2',
      'sig3',
      'sig3',
    ]);
    expect(stub.requests).toHaveLength(3);
  });

  it('asks the broker at once when the first URL is about to expire', async () => {
    const stub = stubFetch({ body: bundle(4) });
    const c = connector(stub.fetch);
    const first = await c.connect('VIEWER');
    const stale = { ...first, signaling: { ...first.signaling, expiresAt: new Date(Date.now() + 5_000) } };

    await c.requestSigner(stale).getSignedURL(first.signaling.endpoint, {});

    expect(stub.requests).toHaveLength(2);
  });

  it('refuses to sign for another channel than its connection', async () => {
    const c = connector(stubFetch({ body: bundle() }).fetch);
    const signer = c.requestSigner(await c.connect('VIEWER'));

    await expect(signer.getSignedURL('wss://x', { 'X-Amz-ChannelARN': `${ARN}9` })).rejects.toThrow(
      /asks for channel/,
    );
  });
});

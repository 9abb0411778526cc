import { afterEach, describe, expect, it, vi } from 'vitest';
import { IceServerError } from '../src/errors';
import { IceServerClient } from '../src/ice-server-client';
import { SignalingConnector, type SignalingConnectorOptions, sdkConfig } from '../src/signaling';
import { brokerError, type StubAnswer, stubFetch } from './support/stub-fetch';

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

describe('SignalingConnector.joinStorageSession', () => {
  const JOIN_PATH = '/v1/channels/demo/storage-session/viewer';
  /** A viewer bundle of a channel that records media, as a deployment with storageSessions answers it. */
  const recordingBundle = () => ({
    ...bundle(),
    mediaStorage: {
      enabled: true,
      join: { path: JOIN_PATH, body: { clientId: 'u-abc.suffix1' } },
    },
  });
  const joined = { role: 'VIEWER', clientId: 'u-abc.suffix1', channelArn: ARN, streamArn: `${ARN}-stream` };

  it("POSTs the join the connection's answer names to the storage-session route, and returns the broker's answer", async () => {
    const stub = stubFetch({ body: recordingBundle() }, { body: joined });
    const signaling = connector(stub.fetch, () => 'token-1');
    const connection = await signaling.connect('VIEWER');

    const answer = await signaling.joinStorageSession(connection);

    expect(stub.requests[1]).toMatchObject({
      url: `http://127.0.0.1:8080${JOIN_PATH}`,
      headers: { authorization: 'Bearer token-1', 'content-type': 'application/json' },
      body: { clientId: 'u-abc.suffix1' },
    });
    expect(answer).toEqual(joined);
  });

  it("joins a master at the master's storage-session route, with an empty body", async () => {
    const stub = stubFetch({
      body: { role: 'MASTER', channelArn: ARN },
    });
    const master = {
      role: 'MASTER',
      mediaStorage: { enabled: true, join: { path: '/v1/channels/demo/storage-session/master', body: {} } },
    } as const;

    const answer = await connector(stub.fetch).joinStorageSession(master);

    expect(stub.requests[0]?.url).toBe('http://127.0.0.1:8080/v1/channels/demo/storage-session/master');
    expect(stub.requests[0]?.body).toEqual({});
    expect(answer).toEqual({ role: 'MASTER', channelArn: ARN });
  });

  it.each([
    ['a 503', brokerError(503, 'Unavailable', { 'retry-after': '0' })],
    ['a 429', brokerError(429, 'Throttled', { 'retry-after': '0' })],
    ['a network failure', { networkError: true }],
  ] satisfies [string, StubAnswer][])(
    'sends the join once and never retries it, even after %s: a lost request may have reached KVS',
    async (_, failure) => {
      const stub = stubFetch(failure, { body: joined });

      const error = await connector(stub.fetch)
        .joinStorageSession(recordingBundle())
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(IceServerError);
      expect(stub.requests).toHaveLength(1);
    },
  );

  it("rejects with the broker's 429 and its Retry-After when the storage session has its 3 viewers", async () => {
    const stub = stubFetch(brokerError(429, 'Throttled', { 'retry-after': '60' }));

    const error = await connector(stub.fetch)
      .joinStorageSession(recordingBundle())
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'Throttled', status: 429, retryAfterSeconds: 60 });
  });

  it.each([
    ['records no media', { role: 'VIEWER', mediaStorage: { enabled: false } }],
    ['was answered without mediaStorage (a deployment without storageSessions)', { role: 'VIEWER' }],
  ] as const)(
    'throws a TypeError, sending nothing, for a connection whose channel %s',
    async (_, connection) => {
      const stub = stubFetch({ body: joined });

      const error = await connector(stub.fetch)
        .joinStorageSession(connection)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe(
        'SignalingConnector: connection is for a channel that records no media: connect peer to peer instead',
      );
      expect(stub.requests).toHaveLength(0);
    },
  );

  it.each([
    ['another channel', 'VIEWER', '/v1/channels/other/storage-session/viewer'],
    ["the other role's route", 'VIEWER', '/v1/channels/demo/storage-session/master'],
  ] as const)(
    "throws a TypeError, sending nothing, for a connection whose join names %s than this connector's",
    async (_, role, path) => {
      const stub = stubFetch({ body: joined });
      const connection = {
        role,
        mediaStorage: { enabled: true, join: { path, body: { clientId: 'u-abc.v0' } } },
      };

      const error = await connector(stub.fetch)
        .joinStorageSession(connection)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe(
        `SignalingConnector: connection is for the storage session at ${path}, this connector's is /v1/channels/demo/storage-session/viewer`,
      );
      expect(stub.requests).toHaveLength(0);
    },
  );

  it.each([
    ['no role', { channelArn: ARN }],
    ['a viewer without its clientId', { role: 'VIEWER', channelArn: ARN }],
    ['no channelArn', { role: 'MASTER' }],
  ])('refuses an answer with %s with InvalidResponse', async (_, body) => {
    const error = await connector(stubFetch({ body }).fetch)
      .joinStorageSession(recordingBundle())
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'InvalidResponse' });
  });

  it('keeps mediaStorage of a signaling answer only as the contract has it', async () => {
    const connect = (mediaStorage: unknown) =>
      connector(stubFetch({ body: { ...bundle(), mediaStorage } }).fetch).connect('VIEWER');

    const [fits, numericClientId, extraField] = await Promise.all([
      connect(recordingBundle().mediaStorage),
      connect({ enabled: true, join: { path: JOIN_PATH, body: { clientId: 7 } } }),
      connect({ enabled: false, note: 'x' }),
    ]);

    expect(fits.mediaStorage).toEqual(recordingBundle().mediaStorage);
    expect(numericClientId).not.toHaveProperty('mediaStorage');
    expect(extraField.mediaStorage).toEqual({ enabled: false });
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

describe('SignalingConnector errors and retries, as IceServerClient has them', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** What a call rejected with, and how many requests it took. */
  async function outcome(
    call: (fetch: ReturnType<typeof stubFetch>['fetch']) => Promise<unknown>,
    answer: StubAnswer,
  ) {
    const stub = stubFetch(answer);
    const error = (await call(stub.fetch).then(
      () => undefined,
      (e: unknown) => e,
    )) as IceServerError | undefined;
    return {
      name: error?.name,
      code: error?.code,
      status: error?.status,
      retryAfterSeconds: error?.retryAfterSeconds,
      requests: stub.requests.length,
    };
  }

  it.each([
    ['500 with a transient broker code', brokerError(500, 'Throttled')],
    ['504 with a transient broker code', brokerError(504, 'Unavailable')],
    ['502 UpstreamError', brokerError(502, 'UpstreamError')],
    [
      '503 whose Retry-After is longer than any wait',
      brokerError(503, 'Unavailable', { 'retry-after': '60' }),
    ],
    ['429 whose Retry-After is longer than any wait', brokerError(429, 'Throttled', { 'retry-after': '60' })],
    ['403 ChannelNotAllowed', brokerError(403, 'ChannelNotAllowed')],
    ['API Gateway 401', { status: 401, body: { message: 'Unauthorized' } }],
  ])('rejects a %s with the code, status and request count IceServerClient gives', async (_, answer) => {
    const viaClient = await outcome(
      (fetch) =>
        new IceServerClient({ baseUrl: 'http://127.0.0.1:8080', channel: 'demo', fetch }).getIceServers(),
      answer,
    );
    const viaConnector = await outcome((fetch) => connector(fetch).connect('VIEWER'), answer);

    expect(viaClient.name).toBe('IceServerError');
    expect(viaConnector).toEqual(viaClient);
  });

  it('maps a 5xx other than 503 to a final HttpError, whatever its code says', async () => {
    const stub = stubFetch(brokerError(500, 'Throttled'));

    const error = await connector(stub.fetch)
      .connect('VIEWER')
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'HttpError', status: 500, retryable: false });
    expect(stub.requests).toHaveLength(1);
  });

  it('rejects with the signal reason as soon as the caller aborts during a retry wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const stub = stubFetch(brokerError(503, 'Unavailable', { 'retry-after': '3' }), { body: bundle() });
    const controller = new AbortController();
    const pending = connector(stub.fetch).connect('VIEWER', { signal: controller.signal });
    const settled = pending.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(100); // the 503 arrived; the connector waits 3 s to retry

    controller.abort(new Error('user left'));
    const result = await Promise.race([settled, vi.advanceTimersByTimeAsync(10).then(() => 'still waiting')]);

    expect(stub.requests).toHaveLength(1);
    expect(result).toEqual(new Error('user left'));
  });

  it('rejects with the signal reason when the caller aborts during the request, and aborts it', async () => {
    const stub = stubFetch({ hang: true });
    const controller = new AbortController();
    const pending = connector(stub.fetch).connect('VIEWER', { signal: controller.signal });
    await vi.waitFor(() => expect(stub.requests).toHaveLength(1));

    controller.abort(new Error('user left'));

    await expect(pending).rejects.toEqual(new Error('user left'));
    expect(stub.requests[0]?.signal?.aborted).toBe(true);
  });

  it('rejects at once, sending nothing, when the signal has aborted already', async () => {
    const stub = stubFetch({ body: bundle() });

    await expect(
      connector(stub.fetch).connect('VIEWER', { signal: AbortSignal.abort(new Error('gone')) }),
    ).rejects.toEqual(new Error('gone'));
    expect(stub.requests).toHaveLength(0);
  });

  it('rejects with Timeout and aborts the request when no answer comes within timeoutMs', async () => {
    const stub = stubFetch({ hang: true });
    const c = new SignalingConnector({
      baseUrl: 'http://127.0.0.1:8080',
      channel: 'demo',
      fetch: stub.fetch,
      timeoutMs: 50,
    });

    await expect(c.connect('VIEWER')).rejects.toMatchObject({ name: 'IceServerError', code: 'Timeout' });
    expect(stub.requests[0]?.signal?.aborted).toBe(true);
  });
});

describe('SignalingConnector options', () => {
  const BASE = { baseUrl: 'http://127.0.0.1:8080', channel: 'demo', fetch: stubFetch({}).fetch } as const;

  it.each([
    [{ baseUrl: 'http://api.example.com' }, /^SignalingConnector: baseUrl must use https:/],
    [{ channel: 'no spaces' }, /^SignalingConnector: channel must be a signaling channel name/],
    [{ transports: ['quic'] }, /^SignalingConnector: transports must list some of udp, tcp, tls, dtls/],
    [{ transports: [] }, /^SignalingConnector: transports must list some of/],
    [{ maxServerSets: 0 }, /^SignalingConnector: maxServerSets must be an integer of at least 1/],
    [{ maxServerSets: 1.5 }, /^SignalingConnector: maxServerSets must be an integer of at least 1/],
    [{ timeoutMs: 0 }, /^SignalingConnector: timeoutMs must be an integer of at least 1/],
    [{ maxAttempts: 0 }, /^SignalingConnector: maxAttempts must be an integer of at least 1/],
    [{ getToken: 'abc' }, /^SignalingConnector: getToken must be a function/],
    [{ fetch: 'fetch' }, /^SignalingConnector: fetch must be a function/],
    [
      { aws: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, region: '' } },
      /^SignalingConnector: aws.region is required/,
    ],
    [
      {
        getToken: () => 't',
        aws: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, region: 'us-west-2' },
      },
      /^SignalingConnector: getToken and aws exclude each other/,
    ],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    const create = () =>
      new SignalingConnector({ ...BASE, ...(options as Partial<SignalingConnectorOptions>) });

    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('accepts the options it documents', () => {
    expect(
      () =>
        new SignalingConnector({
          ...BASE,
          transports: ['udp', 'tls'],
          maxServerSets: 1,
          timeoutMs: 1_000,
          maxAttempts: 1,
          getToken: () => 't',
        }),
    ).not.toThrow();
  });
});

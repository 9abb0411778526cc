import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IceServerClient, type IceServerClientOptions, IceServerError } from '../src';
import { parseRetryAfter } from '../src/ice-server-client';
import { answerBody, brokerError, stubFetch } from './support/stub-fetch';

const BASE = { baseUrl: 'https://api.example.com/prod', channel: 'demo' } as const;

function clientWith(stub: ReturnType<typeof stubFetch>, options: Partial<IceServerClientOptions> = {}) {
  return new IceServerClient({ ...BASE, fetch: stub.fetch, ...options });
}

/** Settles `promise` while fake time runs, so a rejection is observed before it counts as unhandled. */
async function settle<T>(promise: Promise<T>, advanceMs: number): Promise<PromiseSettledResult<T>> {
  const settled = Promise.allSettled([promise]).then(([result]) => result as PromiseSettledResult<T>);
  await vi.advanceTimersByTimeAsync(advanceMs);
  return settled;
}

function rejection(result: PromiseSettledResult<unknown>): IceServerError {
  if (result.status !== 'rejected') throw new Error('expected a rejection');
  return result.reason as IceServerError;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  vi.setSystemTime(new Date('2026-11-24T10:00:00.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('IceServerClient.getIceServers', () => {
  it('posts role, transports and maxServerSets to the channel route', async () => {
    const stub = stubFetch({});
    const client = clientWith(stub, { role: 'MASTER', transports: ['udp', 'tls'], maxServerSets: 1 });

    await client.getIceServers();

    expect(stub.requests[0]).toMatchObject({
      url: 'https://api.example.com/prod/v1/channels/demo/ice-servers',
      headers: { 'content-type': 'application/json' },
      body: { role: 'MASTER', transports: ['udp', 'tls'], maxServerSets: 1 },
    });
  });

  it('resolves to the iceServers, the remaining ttl and an expiry on this device clock', async () => {
    const client = clientWith(stubFetch({ body: answerBody(299) }));

    const servers = await client.getIceServers();

    expect(servers.iceServers).toEqual(answerBody().iceServers);
    expect(servers.ttl).toBe(299);
    expect(servers.expiresAt.toISOString()).toBe('2026-11-24T10:04:59.000Z');
    expect(servers.channelArn).toMatch(/^arn:aws:kinesisvideo:/);
  });

  it('serves the cached answer until its ttl less the refresh margin, then asks again', async () => {
    const stub = stubFetch({ body: answerBody(299, 'first') }, { body: answerBody(299, 'second') });
    const client = clientWith(stub, { refreshMarginSeconds: 60 });
    await client.getIceServers();

    await vi.advanceTimersByTimeAsync(238_000);
    const cached = await client.getIceServers();
    await vi.advanceTimersByTimeAsync(1_000);
    const refreshed = await client.getIceServers();

    expect(cached.iceServers[1]?.username).toBe('first');
    expect(cached.ttl).toBe(61);
    expect(refreshed.iceServers[1]?.username).toBe('second');
    expect(stub.requests).toHaveLength(2);
  });

  it('keeps serving answers for the ttl they carry when the device clock is hours off', async () => {
    // The server's expiresAt says 10:05 while this device believes it is 13:00 the next day.
    vi.setSystemTime(new Date('2026-11-25T13:00:00.000Z'));
    const stub = stubFetch({ body: answerBody(299, 'only', '2026-11-24T10:05:00.000Z') });
    const client = clientWith(stub);

    await client.getIceServers();
    await vi.advanceTimersByTimeAsync(200_000);
    const later = await client.getIceServers();

    expect(stub.requests).toHaveLength(1);
    expect(later.ttl).toBe(99);
    expect(later.expiresAt.toISOString()).toBe('2026-11-25T13:04:59.000Z');
  });

  it('is not fooled when the wall clock jumps after the answer arrived', async () => {
    const stub = stubFetch({ body: answerBody(299, 'first') }, { body: answerBody(299, 'second') });
    const client = clientWith(stub);
    await client.getIceServers();

    vi.setSystemTime(new Date('2026-11-24T09:00:00.000Z')); // an hour back: the cache must not live longer
    await vi.advanceTimersByTimeAsync(240_000);
    const after = await client.getIceServers();

    expect(after.iceServers[1]?.username).toBe('second');
  });

  it('caches for at most half the ttl when the ttl is shorter than the margin', async () => {
    const stub = stubFetch({ body: answerBody(40, 'short') }, { body: answerBody(299, 'long') });
    const client = clientWith(stub, { refreshMarginSeconds: 60 });
    await client.getIceServers();

    await vi.advanceTimersByTimeAsync(19_000);
    const cached = await client.getIceServers();
    await vi.advanceTimersByTimeAsync(1_000);
    const refreshed = await client.getIceServers();

    expect(cached.iceServers[1]?.username).toBe('short');
    expect(refreshed.iceServers[1]?.username).toBe('long');
  });

  it('makes one request for concurrent callers', async () => {
    const stub = stubFetch({});
    const client = clientWith(stub);

    const answers = await Promise.all([
      client.getIceServers(),
      client.getIceServers(),
      client.getIceServers(),
    ]);

    expect(stub.requests).toHaveLength(1);
    expect(answers.map((answer) => answer.iceServers[1]?.username)).toEqual(['user-1', 'user-1', 'user-1']);
  });

  it('asks the server again on forceRefresh and after clearCache', async () => {
    const stub = stubFetch({});
    const client = clientWith(stub);

    await client.getIceServers();
    await client.getIceServers({ forceRefresh: true });
    client.clearCache();
    await client.getIceServers();

    expect(stub.requests).toHaveLength(3);
  });

  it('retries a 429 after the seconds of its Retry-After', async () => {
    const stub = stubFetch(brokerError(429, 'Throttled', { 'retry-after': '2' }), {});
    const client = clientWith(stub);

    const pending = client.getIceServers();
    await vi.advanceTimersByTimeAsync(1_900);
    const before = stub.requests.length;
    const result = await settle(pending, 200);

    expect(before).toBe(1);
    expect(result.status).toBe('fulfilled');
    expect(stub.requests).toHaveLength(2);
  });

  it('retries a 503 without Retry-After with backoff, and gives up after maxAttempts with the server error', async () => {
    const stub = stubFetch(brokerError(503, 'Unavailable'));
    const client = clientWith(stub, { retry: { maxAttempts: 3, baseDelayMs: 100 } });

    const error = rejection(await settle(client.getIceServers(), 1_000));

    expect(stub.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(IceServerError);
    expect(error).toMatchObject({ code: 'Unavailable', status: 503, retryable: true });
  });

  it('does not retry sooner than a Retry-After longer than its cap: rejects with the wait the server asked for', async () => {
    const stub = stubFetch(brokerError(429, 'Throttled', { 'retry-after': '30' }));
    const client = clientWith(stub, { retry: { maxDelayMs: 5_000 } });

    const error = rejection(await settle(client.getIceServers(), 0));

    expect(stub.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: 'Throttled', status: 429, retryAfterSeconds: 30 });
  });

  it('retries API Gateway stage throttling (429 Too Many Requests)', async () => {
    const stub = stubFetch({ status: 429, body: { message: 'Too Many Requests' } }, {});
    const client = clientWith(stub);

    const result = await settle(client.getIceServers(), 1_000);

    expect(result.status).toBe('fulfilled');
    expect(stub.requests).toHaveLength(2);
  });

  it('retries when the network fails, then rejects with NetworkError', async () => {
    const stub = stubFetch({ networkError: true });
    const client = clientWith(stub, { retry: { maxAttempts: 2, baseDelayMs: 10 } });

    const error = rejection(await settle(client.getIceServers(), 100));

    expect(stub.requests).toHaveLength(2);
    expect(error).toMatchObject({ code: 'NetworkError', status: undefined });
  });

  it('rejects with Timeout and aborts the request when no answer comes within timeoutMs', async () => {
    const stub = stubFetch({ hang: true });
    const client = clientWith(stub, { timeoutMs: 5_000 });

    const pending = client.getIceServers();
    const early = await Promise.race([
      pending.then(
        () => 'settled',
        () => 'settled',
      ),
      vi.advanceTimersByTimeAsync(4_900).then(() => 'pending'),
    ]);
    const error = rejection(await settle(pending, 200));

    expect(early).toBe('pending');
    expect(error).toMatchObject({ code: 'Timeout', status: undefined });
    expect(stub.requests[0]?.signal?.aborted).toBe(true);
  });

  it('stops waiting to retry when the next attempt would miss the deadline', async () => {
    const stub = stubFetch(brokerError(503, 'Unavailable', { 'retry-after': '5' }));
    const client = clientWith(stub, { timeoutMs: 3_000 });

    const error = rejection(await settle(client.getIceServers(), 0));

    expect(stub.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: 'Unavailable', retryAfterSeconds: 5 });
  });

  it('rejects with the broker error code, status and message, without retrying', async () => {
    const stub = stubFetch(brokerError(403, 'ChannelNotAllowed'));
    const client = clientWith(stub);

    const error = rejection(await settle(client.getIceServers(), 0));

    expect(stub.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: 'ChannelNotAllowed', status: 403, retryable: false });
    expect(error.message).toContain('the broker says ChannelNotAllowed');
  });

  it.each([
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'NotFound'],
    [413, 'PayloadTooLarge'],
  ])('names API Gateway answer %i {"message"} as %s', async (status, code) => {
    const client = clientWith(stubFetch({ status, body: { message: 'from API Gateway' } }));

    const error = rejection(await settle(client.getIceServers(), 0));

    expect(error).toMatchObject({ code, status });
  });

  it('does not retry a 5xx other than 503, whatever its code', async () => {
    const stub = stubFetch(brokerError(502, 'UpstreamError'), brokerError(500, 'Throttled'));
    const client = clientWith(stub);

    const first = rejection(await settle(client.getIceServers(), 0));
    const second = rejection(await settle(client.getIceServers(), 0));

    expect(first).toMatchObject({ code: 'UpstreamError', status: 502 });
    expect(second).toMatchObject({ code: 'HttpError', status: 500 });
    expect(stub.requests).toHaveLength(2);
  });

  it('rejects a 200 that is not the API answer with InvalidResponse', async () => {
    const client = clientWith(stubFetch({ body: { iceServers: 'nope' } }));

    const error = rejection(await settle(client.getIceServers(), 0));

    expect(error).toMatchObject({ code: 'InvalidResponse', status: 200 });
  });

  it("rejects one caller's abort with its reason while the shared request serves the others", async () => {
    const stub = stubFetch({ hang: true });
    const client = clientWith(stub);
    const controller = new AbortController();
    const aborted = client.getIceServers({ signal: controller.signal });
    const other = client.getIceServers();

    controller.abort(new Error('user left'));
    const abortedResult = await settle(aborted, 0);
    const otherResult = await settle(other, 20_000);

    expect(abortedResult).toMatchObject({ status: 'rejected', reason: new Error('user left') });
    expect(stub.requests).toHaveLength(1);
    expect(rejection(otherResult).code).toBe('Timeout');
  });
});

describe('IceServerClient auth', () => {
  it('sends a bearer token from getToken on every request', async () => {
    const stub = stubFetch({});
    const tokens = ['token-1', 'token-2'];
    const client = clientWith(stub, { getToken: async () => tokens.shift() ?? '' });

    await client.getIceServers();
    await client.getIceServers({ forceRefresh: true });

    expect(stub.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('rejects with CredentialsError, sending nothing, when getToken fails or returns no token', async () => {
    const stub = stubFetch({});
    const failing = clientWith(stub, {
      getToken: () => {
        throw new Error('signed out');
      },
    });
    const empty = clientWith(stub, { getToken: () => '' });

    const errors = [
      rejection(await settle(failing.getIceServers(), 0)),
      rejection(await settle(empty.getIceServers(), 0)),
    ];

    expect(errors.map((error) => error.code)).toEqual(['CredentialsError', 'CredentialsError']);
    expect(stub.requests).toHaveLength(0);
  });

  it.each([
    ['a line break', 'eyJSECRET\nPART'],
    ['a NUL', 'eyJSECRET\u0000PART'],
    ['a space', 'eyJSECRET PART'],
    ['a non-ASCII character', 'eyJSECRET\u2026PART'],
  ])(
    'rejects with CredentialsError, sending nothing and never quoting it, a token with %s',
    async (_, token) => {
      const stub = stubFetch({});
      const client = clientWith(stub, { getToken: () => token });

      const error = rejection(await settle(client.getIceServers(), 0));

      expect(error.code).toBe('CredentialsError');
      expect(error.message).not.toContain('SECRET');
      expect(stub.requests).toHaveLength(0);
    },
  );

  it('signs requests with SigV4 for execute-api in the given Region, with the session token', async () => {
    vi.useRealTimers(); // WebCrypto digests settle on the real event loop
    const stub = stubFetch({});
    const credentials = vi.fn(async () => ({
      accessKeyId: 'AKIAEXAMPLEEXAMPLE00',
      secretAccessKey: 'example-secret-access-key-0000000000000',
      sessionToken: 'session-token',
    }));
    const client = clientWith(stub, { aws: { credentials, region: 'cn-north-1' } });

    await client.getIceServers();

    const headers = stub.requests[0]?.headers ?? {};
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE00\/\d{8}\/cn-north-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(credentials).toHaveBeenCalledTimes(1);
  });

  it('rejects with CredentialsError when the AWS credentials provider fails', async () => {
    vi.useRealTimers();
    const client = clientWith(stubFetch({}), {
      aws: { credentials: () => Promise.reject(new Error('no identity')), region: 'us-west-2' },
    });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'CredentialsError' });
  });
});

describe('IceServerClient options', () => {
  it.each([
    [{ baseUrl: 'http://api.example.com' }, /baseUrl must use https:/],
    [{ baseUrl: 'not a url' }, /baseUrl must be the API's http\(s\) URL/],
    [{ channel: 'no spaces' }, /channel must be a signaling channel name/],
    [{ channel: '..' }, /channel must be a signaling channel name/],
    [{ channel: '.' }, /channel must be a signaling channel name/],
    [{ channel: undefined }, /channel must be a signaling channel name/],
    [{ channel: 42 }, /channel must be a signaling channel name/],
    [{ timeoutMs: 1e12 }, /timeoutMs must be/],
    [{ baseUrl: 'https://user:pw@api.example.com' }, /baseUrl must not carry a user name or password/],
    [{ getToken: 'abc' }, /getToken must be a function/],
    [{ fetch: 'fetch' }, /fetch must be a function/],
    [{ transports: ['quic'] }, /transports must list some of udp, tcp, tls, dtls/],
    [{ maxServerSets: 0 }, /maxServerSets must be an integer of at least 1/],
    [
      {
        getToken: () => 't',
        aws: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, region: 'us-west-2' },
      },
      /getToken and aws exclude each other/,
    ],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    const create = () => new IceServerClient({ ...BASE, ...(options as Partial<IceServerClientOptions>) });

    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('accepts http: for localhost and loopback addresses', () => {
    for (const baseUrl of ['http://127.0.0.1:8080', 'http://localhost:8080/', 'http://[::1]:8080']) {
      expect(() => new IceServerClient({ ...BASE, baseUrl })).not.toThrow();
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-24T10:00:00.000Z');

    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:07 GMT', now)).toBe(7);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

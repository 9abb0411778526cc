import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { toVendingError } from '../../../lambda/aws/errors';
import {
  buildHandler,
  captureLogs,
  event,
  healthyUpstream,
  kvs,
  kvsServer,
  parse,
  signaling,
  sts,
} from '../support/handler';

/** An error shaped like the ones the AWS SDK throws for a service answer. */
function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`upstream says ${name}`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode },
  });
}
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}
/** What the SDK's default credential chain throws when it finds no credentials. */
function noCredentials(): Error {
  return Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
}

describe('upstream failures', () => {
  beforeEach(() => healthyUpstream());

  it.each(
    [
      [
        'KVS throttles GetIceServerConfig',
        () =>
          signaling.on(GetIceServerConfigCommand).rejects(serviceError('ClientLimitExceededException', 400)),
        429,
        'Throttled',
      ],
      [
        'KVS throttles GetSignalingChannelEndpoint',
        () =>
          kvs
            .on(GetSignalingChannelEndpointCommand)
            .rejects(serviceError('ClientLimitExceededException', 400)),
        429,
        'Throttled',
      ],
      [
        'STS throttles AssumeRole',
        () => sts.on(AssumeRoleCommand).rejects(serviceError('Throttling', 400)),
        429,
        'Throttled',
      ],
      [
        'the channel no longer exists in KVS',
        () =>
          kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('ResourceNotFoundException', 404)),
        404,
        'ChannelNotFound',
      ],
      [
        'the scoped role may not use the channel',
        () => kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('AccessDeniedException', 401)),
        502,
        'UpstreamError',
      ],
      [
        'the signaling API refuses the session',
        () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('NotAuthorizedException', 401)),
        502,
        'UpstreamError',
      ],
      [
        'STS refuses AssumeRole',
        () => sts.on(AssumeRoleCommand).rejects(serviceError('AccessDenied', 403)),
        502,
        'UpstreamError',
      ],
      [
        'KVS rejects an argument',
        () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('InvalidArgumentException', 400)),
        502,
        'UpstreamError',
      ],
      [
        'KVS rejects the client',
        () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('InvalidClientException', 400)),
        502,
        'UpstreamError',
      ],
      [
        'the KVS session expired',
        () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('SessionExpiredException', 400)),
        502,
        'UpstreamError',
      ],
      [
        'KVS fails with a 500',
        () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('InternalFailure', 500)),
        502,
        'UpstreamError',
      ],
      [
        'KVS answers with an unreadable body',
        () =>
          signaling
            .on(GetIceServerConfigCommand)
            .rejects(Object.assign(new SyntaxError('Unexpected token'), { $responseBodyText: '<html>' })),
        502,
        'UpstreamError',
      ],
      [
        'KVS returns no HTTPS endpoint',
        () => kvs.on(GetSignalingChannelEndpointCommand).resolves({ ResourceEndpointList: [] }),
        502,
        'UpstreamError',
      ],
      ['STS returns no credentials', () => sts.on(AssumeRoleCommand).resolves({}), 502, 'UpstreamError'],
      [
        'KVS returns no usable TURN set',
        () => signaling.on(GetIceServerConfigCommand).resolves({ IceServerList: [] }),
        502,
        'UpstreamError',
      ],
      [
        'KVS is unavailable',
        () =>
          signaling.on(GetIceServerConfigCommand).rejects(serviceError('ServiceUnavailableException', 503)),
        503,
        'Unavailable',
      ],
      [
        'the KVS endpoint refuses connections',
        () => kvs.on(GetSignalingChannelEndpointCommand).rejects(socketError('ECONNREFUSED')),
        503,
        'Unavailable',
      ],
      [
        'STS cannot be resolved',
        () => sts.on(AssumeRoleCommand).rejects(socketError('ENOTFOUND')),
        503,
        'Unavailable',
      ],
      [
        'KVS does not answer in time',
        () =>
          signaling
            .on(GetIceServerConfigCommand)
            .rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' })),
        504,
        'UpstreamTimeout',
      ],
      [
        'an unexpected bug',
        () => signaling.on(GetIceServerConfigCommand).rejects(new TypeError('x is undefined')),
        500,
        'InternalError',
      ],
    ].map(
      ([name, arrange, status, code]) =>
        [name, status, code, arrange] as [string, number, string, () => void],
    ),
  )('when %s, answers %i %s', async (_, status, code, arrange) => {
    arrange();

    const response = parse(await buildHandler()(event('demo')));

    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.headers['content-type']).toBe('application/json');
  });

  it('returns 429 with Retry-After when KVS throttles', async () => {
    signaling.on(GetIceServerConfigCommand).rejects(serviceError('ClientLimitExceededException', 400));

    const { headers } = parse(await buildHandler()(event('demo')));

    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('returns 503 with Retry-After when a dependency is down', async () => {
    sts.on(AssumeRoleCommand).rejects(socketError('ECONNREFUSED'));

    const { headers } = parse(await buildHandler()(event('demo')));

    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('never copies upstream or internal error text into the response', async () => {
    const handler = buildHandler();
    signaling.on(GetIceServerConfigCommand).rejects(serviceError('InvalidArgumentException', 400));
    const upstream = parse(await handler(event('demo')));
    signaling.on(GetIceServerConfigCommand).rejects(new TypeError('secret internal detail'));
    const internal = parse(await handler(event('demo')));

    expect(JSON.stringify(upstream.body)).not.toContain('upstream says');
    expect(internal.body).toEqual({ error: { code: 'InternalError', message: 'internal error' } });
  });

  it('asks KVS again after it returned no TURN server set', async () => {
    const handler = buildHandler();
    signaling
      .on(GetIceServerConfigCommand)
      .resolvesOnce({ IceServerList: [] })
      .resolves({ IceServerList: [kvsServer(1)] });

    const empty = parse(await handler(event('demo')));
    const next = parse(await handler(event('demo')));

    expect(empty.status).toBe(502);
    expect(next.status).toBe(200);
  });

  it('keeps serving after a failure', async () => {
    const handler = buildHandler();
    signaling
      .on(GetIceServerConfigCommand)
      .rejectsOnce(serviceError('InternalFailure', 500))
      .resolves({ IceServerList: [kvsServer(1)] });

    const failed = parse(await handler(event('demo')));
    const next = parse(await handler(event('demo')));

    expect(failed.status).toBe(502);
    expect(next.status).toBe(200);
  });
});

describe('messages that say what failed and what to do', () => {
  beforeEach(() => healthyUpstream());

  it.each([
    [
      'STS throttles AssumeRole',
      'STS',
      () => sts.on(AssumeRoleCommand).rejects(serviceError('Throttling', 400)),
    ],
    [
      'KVS throttles GetIceServerConfig',
      'KVS',
      () =>
        signaling.on(GetIceServerConfigCommand).rejects(serviceError('ClientLimitExceededException', 400)),
    ],
    [
      'KVS throttles GetSignalingChannelEndpoint',
      'KVS',
      () =>
        kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('ClientLimitExceededException', 400)),
    ],
    ['STS refuses connections', 'STS', () => sts.on(AssumeRoleCommand).rejects(socketError('ECONNREFUSED'))],
    [
      'KVS is unavailable',
      'KVS',
      () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('ServiceUnavailableException', 503)),
    ],
    [
      'STS fails with a 500',
      'STS',
      () => sts.on(AssumeRoleCommand).rejects(serviceError('InternalFailure', 500)),
    ],
    [
      'STS refuses AssumeRole',
      'STS',
      () => sts.on(AssumeRoleCommand).rejects(serviceError('AccessDenied', 403)),
    ],
    [
      'the scoped role may not use the channel',
      'KVS',
      () => kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('AccessDeniedException', 401)),
    ],
    [
      'STS does not answer in time',
      'STS',
      () =>
        sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' })),
    ],
    ['STS returns no credentials', 'STS', () => sts.on(AssumeRoleCommand).resolves({})],
    ['the function has no AWS credentials', 'STS', () => sts.on(AssumeRoleCommand).rejects(noCredentials())],
  ])('when %s, the message names %s and says to retry or whom to tell', async (_, service, arrange) => {
    arrange();

    const { body } = parse(await buildHandler()(event('demo')));

    const other = service === 'STS' ? 'KVS' : 'STS';
    expect(body.error.message).toContain(service);
    expect(body.error.message).not.toContain(other);
    expect(body.error.message).toMatch(/retry|operator/);
  });

  it.each([
    ['the function has no AWS credentials', () => sts.on(AssumeRoleCommand).rejects(noCredentials())],
    [
      "STS says the function's token expired",
      () => sts.on(AssumeRoleCommand).rejects(serviceError('ExpiredToken', 400)),
    ],
    [
      "STS does not know the function's access key",
      () => sts.on(AssumeRoleCommand).rejects(serviceError('InvalidClientTokenId', 403)),
    ],
    [
      "STS refuses the function's signature",
      () => sts.on(AssumeRoleCommand).rejects(serviceError('SignatureDoesNotMatch', 403)),
    ],
    [
      'KVS says the scoped session expired',
      () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('ExpiredTokenException', 403)),
    ],
    [
      'KVS does not know the scoped session',
      () =>
        kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('UnrecognizedClientException', 403)),
    ],
    [
      "KVS refuses the session's signature",
      () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('InvalidSignatureException', 403)),
    ],
  ])('when %s, answers 503 Unavailable with Retry-After, never 500', async (_, arrange) => {
    arrange();

    const { status, headers, body } = parse(await buildHandler()(event('demo')));

    expect(status).toBe(503);
    expect(body.error.code).toBe('Unavailable');
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('logs the cause of a credentials failure by its name, never its message', async () => {
    const refusal = serviceError('InvalidClientTokenId', 403);
    refusal.message = 'The security token ASIASECRETTOKEN0001 included in the request is invalid';
    sts.on(AssumeRoleCommand).rejects(refusal);

    const { logs } = await captureLogs(() => buildHandler({ logLevel: 'INFO' })(event('demo')));

    expect(logs).toContain('"upstreamError":"InvalidClientTokenId"');
    expect(logs).not.toContain('ASIASECRETTOKEN0001');
  });

  it('logs the system error code of a network failure (a name that does not resolve), not only its name', async () => {
    const unreachable = socketError('ENOTFOUND');
    unreachable.message = 'getaddrinfo ENOTFOUND sts.us-west-2.amazonaws.com';
    sts.on(AssumeRoleCommand).rejects(unreachable);

    const { logs } = await captureLogs(() => buildHandler({ logLevel: 'INFO' })(event('demo')));

    expect(logs).toContain('"upstreamErrorCode":"ENOTFOUND"');
  });

  it('opens a new scoped session, within the same request, after KVS refuses the cached session credentials', async () => {
    const handler = buildHandler();
    signaling
      .on(GetIceServerConfigCommand)
      .rejectsOnce(serviceError('ExpiredTokenException', 403))
      .resolves({ IceServerList: [kvsServer(1)] });

    const served = parse(await handler(event('demo')));

    expect(served.status).toBe(200);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('answers 503 after one new session when KVS refuses that one too, without looping', async () => {
    const handler = buildHandler();
    signaling.on(GetIceServerConfigCommand).rejects(serviceError('ExpiredTokenException', 403));

    const refused = parse(await handler(event('demo')));

    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain('KVS');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });
});

describe('which upstream failures are worth another attempt', () => {
  it.each([
    [
      'a request timeout',
      Object.assign(new Error('requestTimeout'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
    ],
    ['a connection timeout', Object.assign(new Error('did not connect'), { name: 'TimeoutError' })],
  ])('retries %s, and answers 504 UpstreamTimeout when attempts run out', (_, error) => {
    const mapped = toVendingError(error, 'KVS GetIceServerConfig');

    expect(mapped).toMatchObject({ code: 'UpstreamTimeout', retryable: true });
  });

  it('retries a signature error once the SDK corrected its clock from it', () => {
    const skewed = serviceError('InvalidSignatureException', 403) as Error & { $metadata: object };
    skewed.$metadata = { httpStatusCode: 403, clockSkewCorrected: true };

    expect(toVendingError(skewed, 'KVS GetIceServerConfig')).toMatchObject({ retryable: true });
  });

  it('does not retry a signature error the clock does not explain', () => {
    const refused = serviceError('SignatureDoesNotMatch', 403);

    expect(toVendingError(refused, 'STS AssumeRole')).toMatchObject({
      code: 'Unavailable',
      retryable: false,
    });
  });

  it.each([500, 502, 504])(
    'retries an upstream HTTP %i (a transient server fault, as the AWS SDK treats it), and answers 502 when attempts run out',
    (status) => {
      expect(toVendingError(serviceError('InternalFailure', status), 'STS AssumeRole')).toMatchObject({
        code: 'UpstreamError',
        retryable: true,
      });
    },
  );

  it.each([400, 403, 404])('does not retry an upstream HTTP %i it cannot name', (status) => {
    expect(toVendingError(serviceError('SomethingElse', status), 'KVS GetIceServerConfig')).toMatchObject({
      code: 'UpstreamError',
      retryable: false,
    });
  });

  it('does not retry once the request deadline aborted the call', () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });

    expect(toVendingError(aborted, 'STS AssumeRole')).toMatchObject({
      code: 'UpstreamTimeout',
      retryable: false,
    });
  });
});

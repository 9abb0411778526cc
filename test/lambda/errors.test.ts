import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildHandler, event, healthyUpstream, kvs, kvsServer, parse, signaling, sts } from './harness';

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

describe('upstream failures', () => {
  beforeEach(() => healthyUpstream());

  it.each([
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
        kvs.on(GetSignalingChannelEndpointCommand).rejects(serviceError('ClientLimitExceededException', 400)),
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
      () => signaling.on(GetIceServerConfigCommand).rejects(serviceError('ServiceUnavailableException', 503)),
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
  ])('when %s, answers %i %s', async (_, arrange, status, code) => {
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

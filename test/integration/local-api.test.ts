import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSpec, Operation } from '../../local/emulator';
import { type LocalStack, startLocalStack } from '../../local/runner';

// One channel per scenario: caches are per channel, so each scenario starts cold and really
// reaches the faulty operation.
const SCENARIOS: [string, Operation, FaultSpec, number, string][] = [
  ['KVS keeps throttling GetIceServerConfig', 'GetIceServerConfig', { kind: 'throttle' }, 429, 'Throttled'],
  [
    'KVS keeps throttling GetSignalingChannelEndpoint',
    'GetSignalingChannelEndpoint',
    { kind: 'throttle' },
    429,
    'Throttled',
  ],
  ['STS keeps throttling AssumeRole', 'AssumeRole', { kind: 'throttle' }, 429, 'Throttled'],
  [
    'KVS says the channel does not exist',
    'GetSignalingChannelEndpoint',
    { kind: 'notFound' },
    404,
    'ChannelNotFound',
  ],
  [
    'the signaling API says the channel does not exist',
    'GetIceServerConfig',
    { kind: 'notFound' },
    404,
    'ChannelNotFound',
  ],
  [
    'GetIceServerConfig fails with a 500',
    'GetIceServerConfig',
    { kind: 'serverError', status: 500 },
    502,
    'UpstreamError',
  ],
  ['STS fails with a 500', 'AssumeRole', { kind: 'serverError', status: 500 }, 502, 'UpstreamError'],
  [
    'GetIceServerConfig is unavailable (503)',
    'GetIceServerConfig',
    { kind: 'serverError', status: 503 },
    503,
    'Unavailable',
  ],
  [
    'GetIceServerConfig answers an unreadable body',
    'GetIceServerConfig',
    { kind: 'malformed' },
    502,
    'UpstreamError',
  ],
  [
    'GetSignalingChannelEndpoint answers an unreadable body',
    'GetSignalingChannelEndpoint',
    { kind: 'malformed' },
    502,
    'UpstreamError',
  ],
  ['STS answers an unreadable body', 'AssumeRole', { kind: 'malformed' }, 502, 'UpstreamError'],
  ['the signaling endpoint drops the connection', 'GetIceServerConfig', { kind: 'drop' }, 503, 'Unavailable'],
  ['STS drops the connection', 'AssumeRole', { kind: 'drop' }, 503, 'Unavailable'],
  [
    'GetIceServerConfig is slower than the request deadline',
    'GetIceServerConfig',
    { latencyMs: 8000 },
    504,
    'UpstreamTimeout',
  ],
];
const CHANNELS = ['demo', 'other', 'isolated', ...SCENARIOS.map((_, i) => `fault-${i}`)];

let stack: LocalStack;
const post = (channel: string, body: unknown = {}, path = `/v1/channels/${channel}/ice-servers`) =>
  fetch(`${stack.api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    channels: CHANNELS,
    relay: false,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', UPSTREAM_DEADLINE_MS: '3000', UPSTREAM_ATTEMPTS: '2' },
  });
});
afterAll(() => stack?.close());
beforeEach(() => stack.emulator.clearFaults());

describe('the local API against the AWS wire emulator', () => {
  it('returns the contract 200 body with live credentials from the emulator', async () => {
    const response = await post('demo', { role: 'VIEWER' });
    const body = await response.json();

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.iceServers[0]).toEqual({ urls: ['stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'] });
    expect(body.iceServers).toHaveLength(3);
    expect(body.iceServers[1].urls).toHaveLength(3);
    expect(body.ttl).toBeGreaterThanOrEqual(120);
    expect(body.channelArn).toBe(stack.channelArns.get('demo'));
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('signs the KVS calls with the assumed scoped-role session, which the emulator accepts', async () => {
    stack.emulator.resetStats();

    await post('other');

    const stats = stack.emulator.stats();
    expect(stats.operations.AssumeRole).toBe(1);
    expect(stats.operations.GetSignalingChannelEndpoint).toBe(1);
    expect(stats.operations.GetIceServerConfig).toBe(1);
    expect(stats.rejected).toEqual({});
  });

  it.each(
    SCENARIOS.map(
      ([name, operation, fault, status, code], i) =>
        [name, status, code, operation, fault, `fault-${i}`] as const,
    ),
  )('when %s, answers %i %s and keeps serving', async (_, status, code, operation, fault, channel) => {
    stack.emulator.setFault(operation, fault);
    const failed = await post(channel);
    const failedBody = await failed.json();
    stack.emulator.clearFaults();
    const next = await post(channel);

    expect(failed.status).toBe(status);
    expect(failedBody.error.code).toBe(code);
    if (status === 429 || status === 503)
      expect(Number(failed.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(next.status).toBe(200);
  });

  it('never makes a KVS call for a channel other than the one requested', async () => {
    stack.emulator.resetStats();

    await post('isolated', { role: 'MASTER', maxServerSets: 1 });
    await post('isolated', { role: 'VIEWER' });
    await post('not-configured');

    const calls = stack.emulator.stats().recentCalls;
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((call) => call.channel))).toEqual(new Set(['isolated']));
  });

  it('answers 403 ChannelNotAllowed for a channel it does not serve, with no AWS call', async () => {
    stack.emulator.resetStats();

    const response = await post('not-configured');

    expect(response.status).toBe(403);
    expect(stack.emulator.stats().operations).toMatchObject({ AssumeRole: 0, GetIceServerConfig: 0 });
  });

  it.each([
    ['bad JSON', '{"role":', 400],
    ['an unknown field', { colour: 'blue' }, 400],
    ['an oversize body', { role: 'VIEWER', pad: 'x'.repeat(10_000) }, 400],
  ])('answers %s with 400 InvalidRequest and keeps serving', async (_, body, status) => {
    const response = await post('demo', body);
    const next = await post('demo');

    expect(response.status).toBe(status);
    expect((await response.json()).error.code).toBe('InvalidRequest');
    expect(next.status).toBe(200);
  });

  it('answers other paths and methods like API Gateway, with 404', async () => {
    const wrongPath = await post('demo', {}, '/v1/channels/demo');
    const wrongMethod = await fetch(`${stack.api.url}/v1/channels/demo/ice-servers`);

    expect(wrongPath.status).toBe(404);
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({ message: 'Not Found' });
  });
});

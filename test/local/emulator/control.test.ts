import { request } from 'node:http';
import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import {
  ClientLimitExceededException,
  GetIceServerConfigCommand,
} from '@aws-sdk/client-kinesis-video-signaling';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, OPERATIONS } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  FakeClock,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  withClient,
} from './support/emulator';

const NONE_THROTTLED = { GetSignalingChannelEndpoint: 0, GetIceServerConfig: 0 };

describe('emulator control API and stats', () => {
  const clock = new FakeClock();
  let emulator: Emulator;
  let session: Required<Credentials>;

  beforeAll(async () => {
    // These tests make more calls per second than AWS's quotas allow, on purpose.
    emulator = await startTestEmulator({ now: clock.now, quotas: { enabled: false } });
    session = await assumeScopedRole(emulator);
  });
  beforeEach(() => {
    emulator.resetStats();
    emulator.clearFaults();
  });
  afterAll(() => emulator.close());

  const control = (path: string, init?: { method?: string; body?: string }) =>
    fetch(`${emulator.url}/_emulator/${path}`, { method: init?.method ?? 'GET', body: init?.body });
  const postFault = (body: unknown) =>
    control('faults', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

  const getIce = (channel: string, ClientId?: string) =>
    withClient(signalingClient(emulator, session), (client) =>
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, channel), ClientId })),
    );
  const getEndpoint = (channel: string) =>
    withClient(kvsClient(emulator, session), (client) =>
      client.send(new GetSignalingChannelEndpointCommand({ ChannelARN: channelArn(emulator, channel) })),
    );

  /** One endpoint call and three ICE calls: demo/alice twice, lobby/bob once. */
  async function typicalTraffic(): Promise<void> {
    await getEndpoint('demo');
    await getIce('demo', 'alice');
    await getIce('demo', 'alice');
    await getIce('lobby', 'bob');
  }

  it('counts calls per operation', async () => {
    await typicalTraffic();
    await assumeScopedRole(emulator);

    const stats = emulator.stats();

    expect(stats.operations).toEqual({
      AssumeRole: 1,
      GetCallerIdentity: 0,
      GetSignalingChannelEndpoint: 1,
      DescribeSignalingChannel: 0,
      ListSignalingChannels: 0,
      GetIceServerConfig: 3,
      DescribeMediaStorageConfiguration: 0,
      JoinStorageSession: 0,
      JoinStorageSessionAsViewer: 0,
      GetParameter: 0,
    });
  });

  it('counts KVS calls per channel, in total and per operation', async () => {
    await typicalTraffic();

    const stats = emulator.stats();

    expect(stats.channels).toEqual({
      demo: { total: 3, GetSignalingChannelEndpoint: 1, GetIceServerConfig: 2, throttled: NONE_THROTTLED },
      lobby: { total: 1, GetSignalingChannelEndpoint: 0, GetIceServerConfig: 1, throttled: NONE_THROTTLED },
    });
  });

  it('counts GetIceServerConfig calls per ClientId', async () => {
    await typicalTraffic();

    const stats = emulator.stats();

    expect(stats.clientIds).toEqual({ alice: 2, bob: 1 });
  });

  it('records recent KVS calls with operation, channel, ClientId and emulator time', async () => {
    await typicalTraffic();

    const stats = emulator.stats();

    expect(stats.recentCalls).toEqual([
      { op: 'GetSignalingChannelEndpoint', channel: 'demo', clientId: null, at: clock.ms, throttled: false },
      { op: 'GetIceServerConfig', channel: 'demo', clientId: 'alice', at: clock.ms, throttled: false },
      { op: 'GetIceServerConfig', channel: 'demo', clientId: 'alice', at: clock.ms, throttled: false },
      { op: 'GetIceServerConfig', channel: 'lobby', clientId: 'bob', at: clock.ms, throttled: false },
    ]);
  });

  it('counts rejected requests by error code, not as calls', async () => {
    await rejectionOf(
      signalingClient(emulator, emulator.executionCredentials).send(
        new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') }),
      ),
    );

    const stats = emulator.stats();

    expect(stats.rejected).toEqual({ NotAuthorizedException: 1 });
    expect(stats.operations.GetIceServerConfig).toBe(0);
  });

  it('counts calls answered by an injected fault as calls and as faults', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });
    await rejectionOf(getIce('demo'));

    const stats = emulator.stats();

    expect(stats.operations.GetIceServerConfig).toBe(1);
    expect(stats.faultsInjected.GetIceServerConfig).toBe(1);
  });

  it('serves the same stats JSON over GET /_emulator/stats', async () => {
    await typicalTraffic();

    const response = await control('stats');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(emulator.stats());
  });

  it('serves no `storage` counts in the stats JSON where no channel records media', async () => {
    const response = await control('stats');

    expect(await response.json()).not.toHaveProperty('storage');
  });

  it('POST /_emulator/stats/reset zeroes the counters', async () => {
    await typicalTraffic();

    const response = await control('stats/reset', { method: 'POST' });

    expect(response.status).toBe(204);
    expect(Object.values(emulator.stats().operations)).toEqual(OPERATIONS.map(() => 0));
  });

  it('POST /_emulator/faults sets a fault the SDK then sees', async () => {
    const response = await postFault({ operation: 'GetIceServerConfig', fault: { kind: 'throttle' } });

    const error = await rejectionOf(getIce('demo'));

    expect(response.status).toBe(200);
    expect(error).toBeInstanceOf(ClientLimitExceededException);
  });

  it('GET /_emulator/faults lists the active faults with their remaining count', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle', times: 3 });

    const response = await control('faults');

    expect(await response.json()).toEqual({
      faults: { GetIceServerConfig: { kind: 'throttle', times: 3, remaining: 3 } },
    });
  });

  it('POST /_emulator/faults with {"clear": true} clears every fault', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });
    emulator.setFault('AssumeRole', { kind: 'throttle' });

    await postFault({ clear: true });

    expect(await (await control('faults')).json()).toEqual({ faults: {} });
  });

  it('POST /_emulator/faults with a null fault clears that operation', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });

    await postFault({ operation: 'GetIceServerConfig', fault: null });

    expect((await getIce('demo')).IceServerList).toHaveLength(2);
  });

  it.each([
    ['a body that is not JSON', '{"operation":'],
    ['an unknown operation', { operation: 'DeleteSignalingChannel', fault: { kind: 'throttle' } }],
    ['an unknown fault kind', { operation: 'GetIceServerConfig', fault: { kind: 'explode' } }],
    [
      'a status outside 500-599',
      { operation: 'GetIceServerConfig', fault: { kind: 'serverError', status: 404 } },
    ],
    [
      'a status without kind serverError',
      { operation: 'GetIceServerConfig', fault: { kind: 'throttle', status: 503 } },
    ],
    ['a fault with neither kind nor latency', { operation: 'GetIceServerConfig', fault: { times: 1 } }],
    ['an unknown fault field', { operation: 'GetIceServerConfig', fault: { kind: 'throttle', when: 'now' } }],
    ['a missing fault', { operation: 'GetIceServerConfig' }],
    ['notFound on AssumeRole', { operation: 'AssumeRole', fault: { kind: 'notFound' } }],
  ])('POST /_emulator/faults answers 400 with a message for %s', async (_case, body) => {
    const response = await postFault(body);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: expect.any(String) });
  });

  it('POST /_emulator/faults with an unknown operation answers 400 listing the valid operations', async () => {
    const response = await postFault({ operation: 'Nope', fault: { kind: 'throttle' } });

    expect(response.status).toBe(400);
    const { message } = await response.json();
    for (const operation of ['AssumeRole', 'GetSignalingChannelEndpoint', 'GetIceServerConfig']) {
      expect(message).toContain(operation);
    }
  });

  /** A raw control request with the given headers (fetch would not let a test set Host). */
  const rawControl = (path: string, headers: Record<string, string>, body = '') =>
    new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(emulator.url);
      const req = request({ hostname, port, path: `/_emulator/${path}`, method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
  const throttleOnce = JSON.stringify({
    operation: 'GetIceServerConfig',
    fault: { kind: 'throttle', times: 1 },
  });

  it.each([
    ['a web page on another site (Origin)', { origin: 'http://evil.example', 'content-type': 'text/plain' }],
    ['a DNS-rebound name (Host)', { host: 'evil.example' }],
  ])('refuses control requests from %s with 403, changing nothing', async (_, headers) => {
    const status = await rawControl('faults', headers, throttleOnce);

    expect(status).toBe(403);
    expect(await (await control('faults')).json()).toEqual({ faults: {} });
  });

  it('accepts control requests from a page on loopback', async () => {
    const status = await rawControl('faults', { origin: 'http://127.0.0.1:5173' }, throttleOnce);

    expect(status).toBe(200);
  });

  it('keeps serving after bad control requests', async () => {
    await postFault('not json');
    await postFault({ operation: 'Nope' });

    const response = await control('stats');

    expect(response.status).toBe(200);
  });

  it('answers 405 for a wrong method on a control route', async () => {
    const response = await control('stats', { method: 'DELETE' });

    expect(response.status).toBe(405);
  });

  it("answers a path no operation has as KVS's endpoints do: 403 with an XML body and no error type", async () => {
    const response = await fetch(`${emulator.url}/nope`);

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBeNull();
    expect(await response.text()).toContain(
      '<Message>Unable to determine service/operation name to be authorized</Message>',
    );
  });

  it('answers a GET on an AWS API path as a path no operation has (KVS operations are POSTs)', async () => {
    const response = await fetch(`${emulator.url}/getSignalingChannelEndpoint`);

    expect(response.status).toBe(403);
  });
});

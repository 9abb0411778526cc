import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import {
  ClientLimitExceededException,
  GetIceServerConfigCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';

describe('injected faults', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;

  beforeAll(async () => {
    // These tests make more calls per second than AWS's quotas allow, on purpose.
    emulator = await startTestEmulator({ quotas: { enabled: false } });
    session = await assumeScopedRole(emulator);
  });
  afterEach(() => emulator.clearFaults());
  afterAll(() => emulator.close());

  const getIce = (channel = 'demo', options: { abortSignal?: AbortSignal; credentials?: Credentials } = {}) =>
    withClient(signalingClient(emulator, options.credentials ?? session), (client) =>
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, channel) }), {
        abortSignal: options.abortSignal,
      }),
    );
  const assumeRole = () =>
    withClient(stsClient(emulator), (sts) =>
      sts.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'faulty' })),
    );

  it('throttle surfaces as ClientLimitExceededException (400) on KVS', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });

    const error = await rejectionOf(getIce());

    expect(error).toBeInstanceOf(ClientLimitExceededException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
  });

  it('throttle surfaces as Throttling (400) on STS', async () => {
    emulator.setFault('AssumeRole', { kind: 'throttle' });

    const error = await rejectionOf(assumeRole());

    expect(error.name).toBe('Throttling');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
  });

  it('notFound surfaces as ResourceNotFoundException for a channel that exists', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'notFound' });

    const error = await rejectionOf(getIce());

    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('serverError surfaces as InternalFailure with status 500 by default', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'serverError' });

    const error = await rejectionOf(getIce());

    expect(error.name).toBe('InternalFailure');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500 });
  });

  it('serverError with status 503 surfaces as ServiceUnavailable', async () => {
    emulator.setFault('GetSignalingChannelEndpoint', { kind: 'serverError', status: 503 });

    const error = await rejectionOf(
      withClient(kvsClient(emulator, session), (client) =>
        client.send(new GetSignalingChannelEndpointCommand({ ChannelARN: channelArn(emulator, 'demo') })),
      ),
    );

    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 503 });
  });

  it('malformed makes the SDK fail to deserialize a 200 JSON response', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'malformed' });

    const error = await rejectionOf(getIce());

    expect(error.$metadata).toMatchObject({ httpStatusCode: 200 });
    expect(error.message).toContain('Deserialization error');
  });

  it('malformed makes the SDK fail to deserialize a 200 STS XML response', async () => {
    emulator.setFault('AssumeRole', { kind: 'malformed' });

    const error = await rejectionOf(assumeRole());

    expect(error.$metadata).toMatchObject({ httpStatusCode: 200 });
    expect(error.message).toContain('Deserialization error');
  });

  it('drop cuts the connection without a response', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'drop' });

    const error = await rejectionOf(getIce());

    expect(error.code).toBe('ECONNRESET');
    expect(error.$metadata).not.toHaveProperty('httpStatusCode');
  });

  it('latencyMs holds the answer back: a caller with a shorter deadline gives up', async () => {
    emulator.setFault('GetIceServerConfig', { latencyMs: 60_000 });

    const error = await rejectionOf(getIce('demo', { abortSignal: AbortSignal.timeout(200) }));

    expect(error.name).toMatch(/AbortError|TimeoutError/);
  });

  it('latencyMs alone still answers normally once the delay passed', async () => {
    emulator.setFault('GetIceServerConfig', { latencyMs: 20 });

    const out = await getIce();

    expect(out.IceServerList).toHaveLength(2);
  });

  it('times limits a fault to the next N calls', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle', times: 2 });

    const first = await rejectionOf(getIce());
    const second = await rejectionOf(getIce());
    const third = await getIce();

    expect([first.name, second.name]).toEqual([
      'ClientLimitExceededException',
      'ClientLimitExceededException',
    ]);
    expect(third.IceServerList).toHaveLength(2);
  });

  it('a channel-scoped fault leaves other channels alone', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle', channel: 'lobby' });

    const demo = await getIce('demo');
    const lobby = await rejectionOf(getIce('lobby'));

    expect(demo.IceServerList).toHaveLength(2);
    expect(lobby).toBeInstanceOf(ClientLimitExceededException);
  });

  it('does not apply to a request that fails authentication', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });
    const wrongSecret = { ...session, secretAccessKey: 'w'.repeat(40) };

    const error = await rejectionOf(getIce('demo', { credentials: wrongSecret }));

    expect(error.name).toBe('InvalidSignatureException');
  });

  it('setFault rejects a fault that does not fit the operation', () => {
    const setNotFoundOnSts = () => emulator.setFault('AssumeRole', { kind: 'notFound' });

    expect(setNotFoundOnSts).toThrow(/notFound/);
  });

  it('setFault(operation, null) clears that operation fault', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'throttle' });

    emulator.setFault('GetIceServerConfig', null);

    expect((await getIce()).IceServerList).toHaveLength(2);
  });
});

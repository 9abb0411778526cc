import { createHmac } from 'node:crypto';
import { AccessDeniedException, GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetIceServerConfigCommand,
  InvalidArgumentException,
  KinesisVideoSignalingClient,
  NotAuthorizedException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video-signaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopedRoleStatements } from '../../../lib/iam-policies';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  FakeClock,
  kvsClient,
  kvsPolicy,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  TURN,
  withClient,
} from './support/emulator';

describe('emulated KVS APIs', () => {
  const clock = new FakeClock();
  let emulator: Emulator;
  let session: Required<Credentials>;
  let demoArn: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
    session = await assumeScopedRole(emulator);
    demoArn = channelArn(emulator, 'demo');
  });
  afterAll(() => emulator.close());

  const getEndpoint = (credentials: Credentials, ChannelARN: string, Protocols = ['HTTPS']) => {
    const config = { Protocols: Protocols as 'HTTPS'[], Role: 'VIEWER' as const };
    return withClient(kvsClient(emulator, credentials, clock.offset()), (client) =>
      client.send(
        new GetSignalingChannelEndpointCommand({
          ChannelARN,
          SingleMasterChannelEndpointConfiguration: config,
        }),
      ),
    );
  };
  const getIce = (credentials: Credentials, ChannelARN: string, ClientId?: string) =>
    withClient(signalingClient(emulator, credentials, clock.offset()), (client) =>
      client.send(new GetIceServerConfigCommand({ ChannelARN, ClientId, Service: 'TURN' })),
    );

  it('returns the signaling API, an endpoint apart from the control plane, as the HTTPS endpoint', async () => {
    const out = await getEndpoint(session, demoArn);

    expect(out.ResourceEndpointList).toEqual([
      { Protocol: 'HTTPS', ResourceEndpoint: emulator.signalingEndpoints.https },
    ]);
    expect(emulator.signalingEndpoints.https).not.toBe(emulator.url);
  });

  it('returns one endpoint per requested protocol, in the requested order', async () => {
    const out = await getEndpoint(session, demoArn, ['WSS', 'HTTPS']);

    expect(out.ResourceEndpointList?.map((e) => e.Protocol)).toEqual(['WSS', 'HTTPS']);
    // The emulator serves the signaling WebSocket itself, an endpoint per role as KVS has a host per
    // role (test/local/emulator/signaling.test.ts).
    expect(out.ResourceEndpointList?.[0]?.ResourceEndpoint).toBe(emulator.signalingEndpoints.viewer);
    expect(emulator.signalingEndpoints.viewer).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  });

  it('returns two TURN server sets of three URIs each in the KVS order', async () => {
    const out = await getIce(session, demoArn);

    const expectedUris = [
      `turn:${TURN.host}:${TURN.port}?transport=udp`,
      `turns:${TURN.host}:${TURN.tlsPort}?transport=udp`,
      `turns:${TURN.host}:${TURN.tlsPort}?transport=tcp`,
    ];
    expect(out.IceServerList).toHaveLength(2);
    expect(out.IceServerList?.map((s) => s.Uris)).toEqual([expectedUris, expectedUris]);
    expect(out.IceServerList?.map((s) => s.Ttl)).toEqual([300, 300]);
  });

  it('mints usernames that expire 300 s from now (the second set one second later) and carry the channel ARN', async () => {
    const out = await getIce(session, demoArn);

    const nowSeconds = Math.floor(clock.ms / 1000);
    const encodedArn = Buffer.from(`v1:${demoArn}`).toString('base64');
    expect(out.IceServerList?.map((s) => s.Username)).toEqual([
      `${nowSeconds + 300}:${encodedArn}`,
      `${nowSeconds + 301}:${encodedArn}`,
    ]);
  });

  it('mints passwords coturn accepts: base64 HMAC-SHA1 of the username with the shared secret', async () => {
    const out = await getIce(session, demoArn);

    const servers = out.IceServerList ?? [];
    const hmac = (username = '') => createHmac('sha1', TURN.secret).update(username).digest('base64');
    expect(servers).toHaveLength(2);
    expect(servers.map((s) => s.Password)).toEqual(servers.map((s) => hmac(s.Username)));
  });

  it('denies the execution credentials on the control plane with AccessDeniedException (401)', async () => {
    const error = await rejectionOf(getEndpoint(emulator.executionCredentials, demoArn));

    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 401 });
  });

  it('denies the execution credentials on the signaling API with NotAuthorizedException (401)', async () => {
    const error = await rejectionOf(getIce(emulator.executionCredentials, demoArn));

    expect(error).toBeInstanceOf(NotAuthorizedException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 401 });
  });

  it('lets a session with a one-channel policy use that channel', async () => {
    const scoped = await assumeScopedRole(emulator, { policy: kvsPolicy(demoArn) });

    const out = await getIce(scoped, demoArn);

    expect(out.IceServerList).toHaveLength(2);
  });

  it('refuses a session with a one-channel policy any other channel', async () => {
    const scoped = await assumeScopedRole(emulator, { policy: kvsPolicy(demoArn) });

    const error = await rejectionOf(getIce(scoped, channelArn(emulator, 'lobby')));

    expect(error).toBeInstanceOf(NotAuthorizedException);
  });

  it('refuses a session whose policy lacks the endpoint action, even on its channel', async () => {
    const policy = JSON.stringify({
      Statement: { Effect: 'Allow', Action: 'kinesisvideo:GetIceServerConfig', Resource: demoArn },
    });
    const scoped = await assumeScopedRole(emulator, { policy });

    const error = await rejectionOf(getEndpoint(scoped, demoArn));

    expect(error).toBeInstanceOf(AccessDeniedException);
  });

  it('refuses a channel the scoped role does not grant before it says whether the channel exists', async () => {
    const ghost = demoArn.replace('/demo/', '/ghost/');

    const error = await rejectionOf(getIce(session, ghost));

    expect(error).toBeInstanceOf(NotAuthorizedException);
    expect(error.message).toBe(
      `User: arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-scoped/emulator-test is not authorized to perform: kinesisvideo:GetIceServerConfig on resource: ${ghost} because no identity-based policy allows the kinesisvideo:GetIceServerConfig action`,
    );
  });

  it('rejects a ClientId outside [a-zA-Z0-9_.-]{1,256} with InvalidArgumentException', async () => {
    const error = await rejectionOf(getIce(session, demoArn, 'user@example.com'));

    expect(error).toBeInstanceOf(InvalidArgumentException);
  });

  it('rejects a ChannelARN that is not a channel ARN with InvalidArgumentException', async () => {
    const error = await rejectionOf(getIce(session, 'not-an-arn'));

    expect(error).toBeInstanceOf(InvalidArgumentException);
  });
});

describe('a channel the scoped role grants that no longer exists', () => {
  let emulator: Emulator;
  const ghostOf = (arn: string) => arn.replace('/demo/', '/ghost/');

  beforeAll(async () => {
    // As a stack deployed for a channel that was deleted since: the role still names it.
    emulator = await startTestEmulator({
      scopedRolePolicy: (arns) => scopedRoleStatements([...arns, ...arns.map(ghostOf)], []),
    });
  });
  afterAll(() => emulator.close());

  it('answers ResourceNotFoundException (404)', async () => {
    const session = await assumeScopedRole(emulator);
    const client = signalingClient(emulator, session);

    const error = await rejectionOf(
      client.send(new GetIceServerConfigCommand({ ChannelARN: ghostOf(channelArn(emulator, 'demo')) })),
    );
    client.destroy();

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 404 });
  });
});

describe('emulated KVS with an advancing clock', () => {
  const clock = new FakeClock();
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
  });
  afterAll(() => emulator.close());

  it('rejects session credentials after they expire with ExpiredTokenException', async () => {
    const shortLived = await assumeScopedRole(emulator, { durationSeconds: 900 });
    clock.advanceSeconds(901);
    const client = signalingClient(emulator, shortLived, clock.offset());

    const error = await rejectionOf(
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );
    client.destroy();

    expect(error.name).toBe('ExpiredTokenException');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
  });
});

describe('emulated KVS ahead of the caller clock', () => {
  const clock = new FakeClock();
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
  });
  afterAll(() => emulator.close());

  it('lets an SDK client whose clock is behind correct itself from the Date header and retry', async () => {
    const session = await assumeScopedRole(emulator, { durationSeconds: 3600 });
    clock.advanceSeconds(1800);
    const client = new KinesisVideoSignalingClient({
      endpoint: emulator.signalingEndpoints.https,
      region: emulator.region,
      credentials: session,
      maxAttempts: 2,
    });

    const out = await client.send(
      new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') }),
    );
    client.destroy();

    expect(out.IceServerList).toHaveLength(2);
  });
});

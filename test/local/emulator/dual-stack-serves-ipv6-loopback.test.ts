import { connect } from 'node:net';
import { GetSignalingChannelEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
} from '@aws-sdk/client-kinesis-video-signaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  STORES_MEDIA,
  startTestEmulator,
  TURN,
  withClient,
} from './support/emulator';
import { openSocket, presignedUrl } from './support/signaling';
import { callOperation } from './support/wire';

/** Whether a TCP connection to `host:port` is accepted. */
const accepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false));
  });

/** The endpoints GetSignalingChannelEndpoint hands out, by protocol, asked at `endpoint`. */
async function endpointsAt(
  emulator: Emulator,
  endpoint: string,
  credentials: Credentials,
  protocols: ('HTTPS' | 'WSS' | 'WEBRTC')[] = ['HTTPS', 'WSS'],
) {
  const kvs = new KinesisVideoClient({ endpoint, region: emulator.region, credentials, maxAttempts: 1 });
  const out = await withClient(kvs, (client) =>
    client.send(
      new GetSignalingChannelEndpointCommand({
        ChannelARN: channelArn(emulator, 'demo'),
        SingleMasterChannelEndpointConfiguration: { Protocols: protocols, Role: 'VIEWER' },
      }),
    ),
  );
  return Object.fromEntries((out.ResourceEndpointList ?? []).map((e) => [e.Protocol, e.ResourceEndpoint]));
}

describe('the emulator in dual-stack mode', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      ...STORES_MEDIA,
      dualStack: true,
      turn: { ...TURN, host: '::1' },
    });
    session = await assumeScopedRole(emulator);
  });
  afterAll(() => emulator?.close());

  it('serves its control endpoint on 127.0.0.1 and on [::1], at one port', async () => {
    expect(emulator.ipv6Url).toBe(`http://[::1]:${emulator.port}`);
    expect(await accepts('127.0.0.1', emulator.port)).toBe(true);
    expect(await accepts('::1', emulator.port)).toBe(true);
  });

  it('hands out its signaling endpoints on IPv6 loopback, as KVS hands out dual-stack ones', async () => {
    const endpoints = await endpointsAt(emulator, emulator.ipv6Url ?? '', session);

    expect(endpoints).toEqual({
      HTTPS: expect.stringMatching(/^http:\/\/\[::1\]:\d+$/),
      WSS: expect.stringMatching(/^ws:\/\/\[::1\]:\d+$/),
    });
    expect(endpoints).toEqual({
      HTTPS: emulator.signalingEndpoints.https,
      WSS: emulator.signalingEndpoints.viewer,
    });
  });

  it('hands out the storage API (WEBRTC) on IPv6 loopback too, and takes a join there', async () => {
    const endpoints = await endpointsAt(emulator, emulator.ipv6Url ?? '', session, ['WEBRTC']);

    const join = await callOperation(
      emulator,
      'JoinStorageSession',
      { channelArn: channelArn(emulator, 'demo') },
      session,
      endpoints.WEBRTC,
    );

    expect(endpoints).toEqual({ WEBRTC: expect.stringMatching(/^http:\/\/\[::1\]:\d+$/) });
    expect(endpoints.WEBRTC).toBe(emulator.storageEndpoint);
    expect(join.status).toBe(200);
  });

  it('answers GetIceServerConfig over IPv6 with TURN URIs of the relay on IPv6 loopback, in KVS shape', async () => {
    const signaling = new KinesisVideoSignalingClient({
      endpoint: emulator.signalingEndpoints.https,
      region: emulator.region,
      credentials: session,
      maxAttempts: 1,
    });

    const out = await withClient(signaling, (client) =>
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );

    expect(out.IceServerList?.map((server) => server.Uris)).toEqual([
      [
        `turn:[::1]:${TURN.port}?transport=udp`,
        `turns:[::1]:${TURN.tlsPort}?transport=udp`,
        `turns:[::1]:${TURN.tlsPort}?transport=tcp`,
      ],
      [
        `turn:[::1]:${TURN.port}?transport=udp`,
        `turns:[::1]:${TURN.tlsPort}?transport=udp`,
        `turns:[::1]:${TURN.tlsPort}?transport=tcp`,
      ],
    ]);
  });

  it('admits a viewer over IPv6 loopback with a URL the broker presigned for [::1]', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER' });
    const socket = await openSocket(url);
    socket.terminate();

    expect(new URL(url).host).toBe(new URL(emulator.signalingEndpoints.viewer).host);
    expect(emulator.signaling.stats().connects.ConnectAsViewer).toBe(1);
  });
});

describe('the emulator without dual-stack mode', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator?.close());

  it('serves IPv4 loopback only, and says so', async () => {
    expect(emulator.ipv6Url).toBeUndefined();
    expect(emulator.signalingEndpoints.https).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await accepts('::1', emulator.port)).toBe(false);
  });
});

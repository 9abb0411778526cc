import {
  DescribeMediaStorageConfigurationCommand,
  GetSignalingChannelEndpointCommand,
} from '@aws-sdk/client-kinesis-video';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { Emulator } from '../../../local/emulator';
import { loadedModules } from '../../support/loaded-modules';
import {
  assumeScopedRole,
  channelArn,
  kvsClient,
  rejectionOf,
  STORES_MEDIA,
  startTestEmulator,
  withClient,
} from './support/emulator';
import { nextMessage, openSocket, payloadOf, presignedUrl } from './support/signaling';
import { callOperation } from './support/wire';

// The emulator's WebRTC ingestion: the control plane's answers for a channel that records media
// (`demo`) and one that does not (`lobby`), the storage API's joins and its recording peer, as the
// KVS developer guide ("WebRTC ingestion") and the service models describe them.

const AGENT = 'AWS_KVS_STORAGE_AGENT_EMULATOR';
/** `demo` records media; quotas off and a generous Connect rate: these tests connect peers quickly. */
const INGESTING = {
  ...STORES_MEDIA,
  quotas: { enabled: false },
  signaling: { connectsPerSecondPerChannel: 100 },
} as const;

describe("the emulator's WebRTC ingestion", () => {
  let emulator: Emulator;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    emulator = await startTestEmulator(INGESTING);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => emulator.close());

  async function connected(role: 'VIEWER' | 'MASTER', clientId?: string): Promise<WebSocket> {
    const socket = await openSocket(await presignedUrl(emulator, { role, clientId }));
    sockets.push(socket);
    return socket;
  }
  /** The messages `socket` receives from now on, as parsed JSON. */
  function inbox(socket: WebSocket): Record<string, unknown>[] {
    const received: Record<string, unknown>[] = [];
    socket.on('message', (data) => received.push(JSON.parse(data.toString())));
    return received;
  }
  /** A join by the scoped role (`STORES_MEDIA` grants the joins), on the storage endpoint. */
  async function join(
    input: Record<string, unknown>,
    credentials?: Awaited<ReturnType<typeof assumeScopedRole>>,
  ) {
    const operation = 'clientId' in input ? 'JoinStorageSessionAsViewer' : 'JoinStorageSession';
    return callOperation(emulator, operation, input, credentials ?? (await assumeScopedRole(emulator)));
  }

  it('describes the media storage of a channel that records media as ENABLED with its stream, of another as DISABLED', async () => {
    const describe = (ChannelName: string) =>
      withClient(kvsClient(emulator, emulator.developerCredentials), (kvs) =>
        kvs.send(new DescribeMediaStorageConfigurationCommand({ ChannelName })),
      );

    const [demo, lobby] = await Promise.all([describe('demo'), describe('lobby')]);

    expect(demo.MediaStorageConfiguration).toEqual({
      Status: 'ENABLED',
      StreamARN: expect.stringMatching(
        /^arn:aws:kinesisvideo:us-west-2:123456789012:stream\/demo-storage\/\d+$/,
      ),
    });
    expect(lobby.MediaStorageConfiguration).toEqual({ Status: 'DISABLED' });
  });

  it("hands out the storage API's WEBRTC endpoint for a channel that records media, and refuses it for another", async () => {
    const credentials = await assumeScopedRole(emulator);
    const endpoint = (channel: string) =>
      withClient(kvsClient(emulator, credentials), (kvs) =>
        kvs.send(
          new GetSignalingChannelEndpointCommand({
            ChannelARN: channelArn(emulator, channel),
            SingleMasterChannelEndpointConfiguration: { Protocols: ['WEBRTC'], Role: 'VIEWER' },
          }),
        ),
      );

    const demo = await endpoint('demo');
    const refused = await rejectionOf(endpoint('lobby'));

    expect(demo.ResourceEndpointList).toEqual([
      { Protocol: 'WEBRTC', ResourceEndpoint: emulator.storageEndpoint },
    ]);
    expect(refused.name).toBe('InvalidArgumentException');
    expect(refused.message).toBe('The channel lobby is not configured for WebRTC ingestion.');
  });

  it('answers a join on a channel that records no media with 400 InvalidArgumentException, its message in `message`', async () => {
    const answer = await join({ channelArn: channelArn(emulator, 'lobby') });

    expect(answer.status).toBe(400);
    expect(answer.code).toBe('InvalidArgumentException');
    expect(JSON.parse(answer.text)).toEqual({
      message: 'The channel lobby is not configured for media storage.',
    });
  });

  it('refuses a join by a session not allowed it with 403 AccessDeniedException, its message in `message`', async () => {
    const onlyIce = await assumeScopedRole(emulator, {
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'kinesisvideo:GetIceServerConfig',
            Resource: channelArn(emulator, 'demo'),
          },
        ],
      }),
    });

    const answer = await join({ channelArn: channelArn(emulator, 'demo') }, onlyIce);

    expect(answer.status).toBe(403);
    expect(answer.code).toBe('AccessDeniedException');
    expect(Object.keys(JSON.parse(answer.text))).toEqual(['message']);
  });

  it('has the recording peer send the master an SDP offer for H.264 and Opus, before any of its ICE candidates', async () => {
    const master = await connected('MASTER');
    const received = inbox(master);

    const answer = await join({ channelArn: channelArn(emulator, 'demo') });
    await nextMessage(master);

    expect(answer.status).toBe(200);
    expect(received[0]).toMatchObject({ messageType: 'SDP_OFFER', senderClientId: AGENT });
    const sdp = String((payloadOf(received[0] ?? {}) as { sdp?: string }).sdp);
    expect(sdp).toMatch(/a=rtpmap:\d+ H264\/90000/);
    expect(sdp).toMatch(/a=rtpmap:\d+ opus\/48000\/2/);
    expect(sdp).toMatch(/a=recvonly/);
  });

  it('accepts a join while no master is connected, and sends nothing', async () => {
    const before = emulator.storageStats().demo?.masterOffers ?? 0;

    const answer = await join({ channelArn: channelArn(emulator, 'demo') });

    expect(answer.status).toBe(200);
    expect(emulator.storageStats().demo?.masterOffers ?? 0).toBe(before);
  });

  it('keeps a viewer that has not joined the storage session from reaching the master of a channel that records media', async () => {
    const master = await connected('MASTER');
    const viewer = await connected('VIEWER', 'plain.v0');
    const masterInbox = inbox(master);

    const status = nextMessage(viewer);
    viewer.send(
      JSON.stringify({
        action: 'SDP_OFFER',
        messagePayload: Buffer.from(JSON.stringify({ type: 'offer', sdp: 'v=0' })).toString('base64'),
        correlationId: 'offer-1',
      }),
    );

    expect((await status).statusResponse).toEqual({
      correlationId: 'offer-1',
      errorType: 'InvalidArgumentException',
      statusCode: '400',
      description:
        'The channel records media: viewers reach it through its storage session (JoinStorageSessionAsViewer), not the master.',
    });
    expect(masterInbox).toEqual([]);
  });

  it("serves the recording peer's counts as `storage` of GET /_emulator/stats", async () => {
    const response = await fetch(`${emulator.url}/_emulator/stats`);

    const stats = (await response.json()) as { storage?: Record<string, unknown> };

    expect(stats.storage).toEqual(emulator.storageStats());
    expect(stats.storage?.demo).toMatchObject({ videoPackets: 0, videoFrames: 0, audioPackets: 0 });
  });
});

describe("the emulator's WebRTC ingestion: a storage session's viewers", () => {
  let emulator: Emulator;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    emulator = await startTestEmulator(INGESTING);
  });
  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await emulator.close();
  });

  it('refuses a fourth viewer with ClientLimitExceededException, in the words the JS SDK tells apart from a throttle', async () => {
    const credentials = await assumeScopedRole(emulator);
    const joinAs = (clientId: string) =>
      callOperation(
        emulator,
        'JoinStorageSessionAsViewer',
        { channelArn: channelArn(emulator, 'demo'), clientId },
        credentials,
      );
    for (const clientId of ['a.v0', 'b.v0', 'c.v0']) {
      const socket = await openSocket(await presignedUrl(emulator, { role: 'VIEWER', clientId }));
      sockets.push(socket);
      const offer = nextMessage(socket);
      expect((await joinAs(clientId)).status).toBe(200);
      expect(await offer).toMatchObject({ messageType: 'SDP_OFFER' });
    }

    const fourth = await joinAs('d.v0');

    expect(fourth.status).toBe(400);
    expect(fourth.code).toBe('ClientLimitExceededException');
    expect(JSON.parse(fourth.text)).toEqual({
      message: 'The maximum number of viewers connected to the session (3) has been reached.',
    });
  });
});

describe("the emulator's recording peer at start", () => {
  const start = (storageChannels: string) => `
    const { startEmulator } = require('./local/emulator');
    const emulator = await startEmulator({
      channels: ['demo'],
      storageChannels: ${storageChannels},
      turn: { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'loading-test' },
    });
    await emulator.close();`;
  const recordingPeer = (files: string[]) =>
    files.filter((file) => file.includes('/node_modules/werift/') || file.endsWith('/storage-agent.ts'));

  it('is not loaded (nor werift) unless a channel records media', async () => {
    const [without, withStorage] = await Promise.all([
      loadedModules(start('[]')),
      loadedModules(start("['demo']")),
    ]);

    expect(recordingPeer(without)).toEqual([]);
    expect(recordingPeer(withStorage)).toContainEqual(
      expect.stringMatching(/\/local\/emulator\/storage-agent\.ts$/),
    );
  });
});

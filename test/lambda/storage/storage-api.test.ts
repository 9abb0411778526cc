import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { clientDefaults } from '../../../lambda/aws/clients';
import { AwsSessionProvider } from '../../../lambda/aws/sessions';
import { type Channel, parseChannelArn } from '../../../lambda/contract';
import type { ScopedSession, SessionPurpose } from '../../../lambda/core/ports';
import type { Emulator } from '../../../local/emulator';
import type { FaultSpec } from '../../../local/emulator/types';
import {
  channelArn,
  STORES_MEDIA,
  startTestEmulator,
  stsClient,
} from '../../local/emulator/support/emulator';
import { nextMessage, openSocket, payloadOf, presignedUrl } from '../../local/emulator/support/signaling';
import { rejectionOf } from '../support/rejection';

// The storage API (lambda/aws/storage-api.ts, through the scoped session of lambda/aws/sessions.ts)
// against the wire emulator: REST-JSON, SigV4 for `kinesisvideo`, the models' errors, and which
// failures the function may retry (a join that reached KVS made it send an offer: never again).

/** The answer to a master's join that may have reached KVS (a timeout, a reset, a 5xx). */
const MAY_HAVE_BEEN_SENT =
  'KVS JoinStorageSession failed and may have reached KVS, which then sends an SDP offer over your signaling connection: join again only if no offer arrives within 6 seconds';

/** An attempt's request timeout: short, so that a fault's latency outlasts it. */
const REQUEST_TIMEOUT_MS = 300;

describe('the storage API calls (JoinStorageSession, JoinStorageSessionAsViewer) against the emulator', () => {
  let emulator: Emulator;
  let provider: AwsSessionProvider;
  const sockets: WebSocket[] = [];
  const sts = () => stsClient(emulator);

  beforeAll(async () => {
    emulator = await startTestEmulator({
      ...STORES_MEDIA,
      // `hall` records media too: its storage session's viewers are the 3-viewer test's own.
      channels: ['demo', 'lobby', 'hall'],
      storageChannels: ['demo', 'hall'],
      quotas: { enabled: false },
      signaling: { connectsPerSecondPerChannel: 100 },
    });
    provider = new AwsSessionProvider({
      sts: sts(),
      scopedRoleArn: emulator.scopedRoleArn,
      clientDefaults: clientDefaults({
        connectionTimeoutMs: 1000,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        maxAttempts: 1,
      }),
      kinesisVideoEndpoint: emulator.url,
    });
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.resetStats();
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => emulator.close());

  const channel = (name: string): Channel => {
    const parsed = parseChannelArn(channelArn(emulator, name));
    if (!parsed) throw new Error(`bad ARN for ${name}`);
    return parsed;
  };
  const session = (purpose: SessionPurpose, name = 'demo'): Promise<ScopedSession> =>
    provider.openSession(channel(name), undefined, purpose);
  /** The join of a master (no clientId) or a viewer, by a session allowed only that join. */
  async function join(options: { clientId?: string; channel?: string; endpoint?: string } = {}) {
    const purpose = options.clientId === undefined ? 'JoinStorageSession' : 'JoinStorageSessionAsViewer';
    const joining = await session(purpose, options.channel);
    return joining.joinStorageSession({
      endpoint: options.endpoint ?? emulator.storageEndpoint,
      channelArn: channelArn(emulator, options.channel ?? 'demo'),
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
    });
  }
  async function connected(
    role: 'VIEWER' | 'MASTER',
    clientId?: string,
    channel = 'demo',
  ): Promise<WebSocket> {
    const socket = await openSocket(await presignedUrl(emulator, { role, clientId, channel }));
    sockets.push(socket);
    return socket;
  }
  const joins = () => {
    const { JoinStorageSession, JoinStorageSessionAsViewer } = emulator.stats().operations;
    return JoinStorageSession + JoinStorageSessionAsViewer;
  };

  it("signs JoinStorageSession for kinesisvideo and sends it to the WEBRTC endpoint: KVS's recording peer offers to the master", async () => {
    const master = await connected('MASTER');
    const offer = nextMessage(master);

    await join();

    const delivered = await offer;
    expect(delivered).toMatchObject({
      messageType: 'SDP_OFFER',
      senderClientId: 'AWS_KVS_STORAGE_AGENT_EMULATOR',
    });
    expect(payloadOf(delivered)).toMatchObject({ type: 'offer', sdp: expect.stringContaining('H264') });
  });

  it('sends JoinStorageSessionAsViewer with the viewer ClientId: the recording peer offers to that viewer', async () => {
    const viewer = await connected('VIEWER', 'alice.v0');
    const offer = nextMessage(viewer);

    await join({ clientId: 'alice.v0' });

    expect(await offer).toMatchObject({ messageType: 'SDP_OFFER' });
    expect(emulator.stats().operations.JoinStorageSessionAsViewer).toBe(1);
  });

  it('answers a KVS throttle with a retryable 429: the throttled call sent no offer', async () => {
    emulator.setFault('JoinStorageSession', { kind: 'throttle' });

    const error = await rejectionOf(join());

    expect(error).toMatchObject({ code: 'Throttled', retryable: true, retryAfterSeconds: 1 });
    expect(error.message).toBe(
      'KVS JoinStorageSession was throttled (request quota exhausted); retry after the Retry-After delay',
    );
  });

  it('answers a storage session that has its 3 viewers with a 429 that is not retried, Retry-After 60', async () => {
    for (const clientId of ['a.v0', 'b.v0', 'c.v0']) {
      const viewer = await connected('VIEWER', clientId, 'hall');
      const offer = nextMessage(viewer);
      await join({ clientId, channel: 'hall' });
      await offer;
    }

    const error = await rejectionOf(join({ clientId: 'd.v0', channel: 'hall' }));

    expect(error).toMatchObject({ code: 'Throttled', retryable: false, retryAfterSeconds: 60 });
    expect(error.message).toBe(
      'the storage session has its maximum of viewers (KVS allows 3); retry after the Retry-After delay',
    );
  });

  it('answers a join on a channel that records no media with 400 InvalidRequest', async () => {
    const error = await rejectionOf(join({ channel: 'lobby' }));

    expect(error).toMatchObject({ code: 'InvalidRequest', retryable: false });
    expect(error.message).toBe(
      'KVS JoinStorageSession was refused as invalid (InvalidArgumentException): the channel may no longer record media',
    );
  });

  it("answers IAM's refusal of a session without the join action with 502 UpstreamError", async () => {
    const ice = await session('ice');

    const error = await rejectionOf(
      ice.joinStorageSession({
        endpoint: emulator.storageEndpoint,
        channelArn: channelArn(emulator, 'demo'),
      }),
    );

    expect(error).toMatchObject({ code: 'UpstreamError', retryable: false });
    expect(error.message).toBe(
      "KVS JoinStorageSession was denied by IAM; tell the operator (the deployment's roles or channels are misconfigured)",
    );
  });

  it('answers ResourceNotFoundException with 404 ChannelNotFound', async () => {
    emulator.setFault('JoinStorageSessionAsViewer', { kind: 'notFound' });

    const error = await rejectionOf(join({ clientId: 'alice.v0' }));

    expect(error).toMatchObject({ code: 'ChannelNotFound', retryable: false });
  });

  it.each([
    ['KVS answered with 500', 'UpstreamError', { kind: 'serverError', status: 500 }],
    ['KVS answered with 503', 'UpstreamError', { kind: 'serverError', status: 503 }],
    ['timed out', 'UpstreamTimeout', { latencyMs: REQUEST_TIMEOUT_MS * 10 }],
    ['had its connection reset', 'UpstreamError', { kind: 'drop' }],
  ] satisfies [string, string, FaultSpec][])(
    'answers a join that %s (it may have reached KVS) with %s, no Retry-After and no retry, saying to join again only if no offer arrives',
    async (_, code, fault) => {
      emulator.setFault('JoinStorageSession', fault);

      const error = await rejectionOf(join());

      expect(error).toMatchObject({
        code,
        retryable: false,
        retryAfterSeconds: undefined,
        message: MAY_HAVE_BEEN_SENT,
      });
      expect(joins()).toBe(1);
    },
  );

  it('retries a join whose connection was refused: it was never sent', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });

    const error = await rejectionOf(join({ endpoint: `http://127.0.0.1:${closedPort}` }));

    expect(error).toMatchObject({ code: 'Unavailable', retryable: true, retryAfterSeconds: 5 });
    expect(error.message).toBe('KVS JoinStorageSession is unavailable; retry after the Retry-After delay');
  });

  it('finds the WEBRTC endpoint of a channel that records media', async () => {
    const ice = await session('ice');

    const endpoint = await ice.getStorageEndpoint(channelArn(emulator, 'demo'), 'MASTER');

    expect(endpoint).toBe(emulator.storageEndpoint);
  });

  it("answers KVS's refusal of the WEBRTC endpoint of a channel that records no media with 400 InvalidRequest", async () => {
    const ice = await session('ice', 'lobby');

    const error = await rejectionOf(ice.getStorageEndpoint(channelArn(emulator, 'lobby'), 'VIEWER'));

    expect(error).toMatchObject({ code: 'InvalidRequest' });
    expect(error.message).toBe(
      "KVS refuses the channel's WEBRTC endpoint: the channel does not record media (connect through its viewer or master route without a storage session)",
    );
  });

  it('reads whether a channel records media, and into which stream, with a session allowed only that', async () => {
    const demo = await session('DescribeMediaStorageConfiguration');
    const lobby = await session('DescribeMediaStorageConfiguration', 'lobby');

    const recording = await demo.describeMediaStorage(channelArn(emulator, 'demo'));
    const plain = await lobby.describeMediaStorage(channelArn(emulator, 'lobby'));

    expect(recording).toEqual({
      enabled: true,
      streamArn: expect.stringMatching(/^arn:aws:kinesisvideo:us-west-2:\d{12}:stream\/demo-storage\/\d+$/),
    });
    expect(plain).toEqual({ enabled: false });
  });
});

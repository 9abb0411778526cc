import {
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
} from '@aws-sdk/client-kinesis-video-signaling';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toVendingError } from '../../../lambda/aws/errors';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  rejectionOf,
  SERVES_SIGNALING,
  startTestEmulator,
} from './support/emulator';
import { HandshakeRefused, openSocket, presignedUrl } from './support/signaling';
import { callOperation } from './support/wire';

// KVS serves its control plane (kinesisvideo.<region>.amazonaws.com), each channel's signaling
// API (https://r-….kinesisvideo…) and its master and viewer WebSockets (wss://m-…, wss://v-…) on
// hosts of their own, and refuses an operation sent to the wrong one. So does the emulator.

const KVS_WRONG_HOST_BODY =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';

describe('the endpoints of KVS, apart', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;
  const sockets: { terminate(): void }[] = [];
  beforeAll(async () => {
    emulator = await startTestEmulator(SERVES_SIGNALING);
    session = await assumeScopedRole(emulator);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => emulator.close());

  it('serves the control plane, the signaling API and the two WebSocket roles on four ports', () => {
    const { https, master, viewer } = emulator.signalingEndpoints;

    const ports = [emulator.url, https, master, viewer].map((url) => new URL(url).port);

    expect(new Set(ports).size).toBe(4);
  });

  it('refuses GetIceServerConfig sent to the control plane as KVS does: 403, an XML body, no error type', async () => {
    const answer = await callOperation(
      emulator,
      'GetIceServerConfig',
      { ChannelARN: channelArn(emulator, 'demo') },
      session,
      emulator.url,
    );

    expect(answer.status).toBe(403);
    expect(answer.code).toBeUndefined();
    expect(answer.headers.get('content-type')).toBe('application/xml');
    expect(answer.text).toBe(KVS_WRONG_HOST_BODY);
  });

  it('makes a function that sent GetIceServerConfig to the control plane answer 502 UpstreamError', async () => {
    const client = new KinesisVideoSignalingClient({
      endpoint: emulator.url,
      region: emulator.region,
      credentials: session,
      maxAttempts: 1,
    });

    const error = await rejectionOf(
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );
    client.destroy();

    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
    expect(toVendingError(error, 'KVS GetIceServerConfig').code).toBe('UpstreamError');
  });

  it('refuses a control-plane operation sent to the signaling API the same way', async () => {
    const answer = await callOperation(
      emulator,
      'GetSignalingChannelEndpoint',
      { ChannelARN: channelArn(emulator, 'demo') },
      session,
      emulator.signalingEndpoints.https,
    );

    expect(answer.status).toBe(403);
    expect(answer.text).toBe(KVS_WRONG_HOST_BODY);
  });

  it('refuses STS on the signaling API (a signaling host is no STS endpoint)', async () => {
    const answer = await callOperation(
      emulator,
      'GetCallerIdentity',
      {},
      emulator.developerCredentials,
      emulator.signalingEndpoints.https,
    );

    expect(answer.status).toBe(403);
  });

  it('counts a request at the wrong endpoint as refused, not as a call', async () => {
    emulator.resetStats();

    await callOperation(
      emulator,
      'GetIceServerConfig',
      { ChannelARN: channelArn(emulator, 'demo') },
      session,
      emulator.url,
    );

    expect(emulator.stats().operations.GetIceServerConfig).toBe(0);
    expect(emulator.stats().rejected).toEqual({ AccessDeniedException: 1 });
  });

  it('presigns the signaling WebSocket at path /, as KVS serves it', async () => {
    const url = new URL(await presignedUrl(emulator, { role: 'VIEWER' }));

    const socket = await openSocket(url.toString());
    sockets.push(socket);

    expect(`${url.protocol}//${url.host}`).toBe(emulator.signalingEndpoints.viewer);
    expect(url.pathname).toBe('/');
  });

  it('refuses a WebSocket at any other path (the old /viewer) with 404', async () => {
    const url = await presignedUrl(emulator, {
      role: 'VIEWER',
      endpoint: `${emulator.signalingEndpoints.viewer}/viewer`,
    });

    const error = await rejectionOf(openSocket(url));

    expect(error).toBeInstanceOf(HandshakeRefused);
    expect(error).toMatchObject({ status: 404 });
  });

  it('offers no WebSocket on the control plane or the signaling API', async () => {
    for (const base of [emulator.url, emulator.signalingEndpoints.https]) {
      const url = await presignedUrl(emulator, { role: 'VIEWER', endpoint: base.replace(/^http/, 'ws') });

      const error = await rejectionOf(openSocket(url));

      expect(error).toMatchObject({ status: 404 });
    }
  });

  it('answers a plain request on a WebSocket endpoint with 426', async () => {
    const response = await fetch(emulator.signalingEndpoints.master.replace(/^ws/, 'http'));

    expect(response.status).toBe(426);
  });
});

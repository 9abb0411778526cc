import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { LocalStack } from '../../local/runner';
import { rejectionOf } from '../local/emulator/support/emulator';
import {
  HandshakeRefused,
  message,
  nextMessage,
  openSocket,
  payloadOf,
} from '../local/emulator/support/signaling';
import { bearer, mintToken, startAuthStack } from '../local/gateway/support/stack';

/** The bundle of a signaling route, as the API answers it. */
interface Bundle {
  role: string;
  clientId?: string;
  channelArn: string;
  region: string;
  signaling: { url: string; expiresAt: string };
  iceServers: { urls: string[] }[];
  ttl: number;
  expiresAt: string;
}

describe('presigned signaling through the local stack (-c signalingRoles=viewer,master)', () => {
  let stack: LocalStack;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    stack = await startAuthStack({
      channels: ['demo', 'lobby'],
      signalingRoles: ['viewer', 'master'],
      auth: { mode: 'jwt', channelsClaim: 'channels', masterChannelsClaim: 'master_channels' },
    });
  });
  afterAll(() => stack?.close());
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.terminate();
  });

  async function post(
    role: 'viewer' | 'master',
    claims: { sub: string; master?: boolean },
    channel = 'demo',
  ): Promise<Response> {
    const token = await mintToken(stack, {
      sub: claims.sub,
      channels: ['demo', 'lobby'],
      ...(claims.master ? { masterChannels: ['demo'] } : {}),
    });
    return fetch(`${stack.api.url}/v1/channels/${channel}/${role}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: '{}',
    });
  }

  /** The bundle; tests use the channels apart, since KVS allows 3 Connects per second per channel. */
  async function bundle(role: 'viewer' | 'master', sub = 'alice', channel = 'demo'): Promise<Bundle> {
    const response = await post(role, { sub, master: role === 'master' }, channel);
    expect(response.status).toBe(200);
    return (await response.json()) as Bundle;
  }

  async function open(url: string): Promise<WebSocket> {
    const socket = await openSocket(url);
    sockets.push(socket);
    return socket;
  }

  it('POST …/viewer returns a presigned URL that a plain WebSocket client can open', async () => {
    const viewer = await bundle('viewer');

    const socket = await open(viewer.signaling.url);

    expect(socket.readyState).toBe(socket.OPEN);
    expect(viewer).toMatchObject({
      role: 'VIEWER',
      channelArn: stack.channelArns.get('demo'),
      region: 'us-west-2',
    });
    expect(viewer.iceServers.length).toBeGreaterThan(1);
  });

  it("delivers a viewer's SDP_OFFER to the master with the viewer's ClientId, and the answer only to that viewer", async () => {
    const master = await open((await bundle('master', 'camera')).signaling.url);
    const alice = await bundle('viewer', 'alice');
    const bob = await bundle('viewer', 'bob');
    const aliceSocket = await open(alice.signaling.url);
    const bobSocket = await open(bob.signaling.url);
    const toBob: string[] = [];
    bobSocket.on('message', (data) => toBob.push(data.toString()));

    const offer = nextMessage(master);
    aliceSocket.send(message('SDP_OFFER', { type: 'offer', sdp: 'v=0' }));
    const delivered = await offer;
    const answer = nextMessage(aliceSocket);
    master.send(
      message('SDP_ANSWER', { type: 'answer', sdp: 'v=0' }, { recipientClientId: delivered.senderClientId }),
    );

    expect(delivered.senderClientId).toBe(alice.clientId);
    expect(payloadOf(await answer)).toEqual({ type: 'answer', sdp: 'v=0' });
    // Bob's socket still open and silent: a message sent to it before would have arrived first.
    const echo = nextMessage(master);
    bobSocket.send(message('ICE_CANDIDATE', { candidate: 'c' }));
    expect((await echo).senderClientId).toBe(bob.clientId);
    expect(toBob).toEqual([]);
  });

  it('gives two tabs of one user two ClientIds with the same stable prefix, so neither evicts the other', async () => {
    const first = await bundle('viewer', 'carol', 'lobby');
    const second = await bundle('viewer', 'carol', 'lobby');

    const [a, b] = [await open(first.signaling.url), await open(second.signaling.url)];

    expect(first.clientId?.split('.')[0]).toBe(second.clientId?.split('.')[0]);
    expect(first.clientId).not.toBe(second.clientId);
    expect([a.readyState, b.readyState]).toEqual([a.OPEN, b.OPEN]);
  });

  it('refuses a presigned URL with a changed signature at the handshake (403)', async () => {
    const url = new URL((await bundle('viewer')).signaling.url);
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', [...signature].reverse().join(''));

    const error = await rejectionOf(openSocket(url.toString()));

    expect(error).toBeInstanceOf(HandshakeRefused);
    expect(error).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
  });

  it('refuses an expired presigned URL at the handshake (403)', async () => {
    const { signaling } = await bundle('viewer');
    stack.emulator.setClockOffset(Date.parse(signaling.expiresAt) - Date.now() + 1000);
    try {
      const error = await rejectionOf(openSocket(signaling.url));

      expect(error).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
    } finally {
      stack.emulator.setClockOffset(0);
    }
  });

  it('refuses the master route (403) to a token whose master channels claim does not list the channel', async () => {
    const response = await post('master', { sub: 'alice' });

    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('ChannelNotAllowed');
  });
});

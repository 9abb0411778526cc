import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type WebSocket from 'ws';
import type { Emulator } from '../../../local/emulator';
import { createRelayCertificate, ensureLocalCa } from '../../../local/relay/certificate';
import { tampered } from '../../support/tamper';
import { rejectionOf, SERVES_SIGNALING, startTestEmulator } from './support/emulator';
import {
  closed,
  HandshakeRefused,
  message,
  nextMessage,
  openSocket,
  payloadOf,
  presignedUrl,
} from './support/signaling';

const OFFER = { type: 'offer', sdp: 'v=0 offer' };
const ANSWER = { type: 'answer', sdp: 'v=0 answer' };

/** The messages `socket` receives from now on. */
function inbox(socket: WebSocket): unknown[] {
  const received: unknown[] = [];
  socket.on('message', (data) => received.push(data.toString()));
  return received;
}

/** Every socket a test opened, closed after it. */
const sockets: WebSocket[] = [];
async function connect(emulator: Emulator, request: Parameters<typeof presignedUrl>[1]): Promise<WebSocket> {
  const socket = await openSocket(await presignedUrl(emulator, request));
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

async function refusal(promise: Promise<unknown>): Promise<HandshakeRefused> {
  const error = await rejectionOf(promise);
  if (!(error instanceof HandshakeRefused)) throw error;
  return error;
}

describe('the local KVS signaling service', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // Generous Connect rates: these tests connect many peers quickly; the quota has its own tests.
    emulator = await startTestEmulator({
      ...SERVES_SIGNALING,
      signaling: { connectsPerSecondPerChannel: 100 },
    });
  });
  afterAll(() => emulator?.close());

  it('returns a WSS endpoint per role that a plain WebSocket client can open with a presigned URL', async () => {
    const viewer = await connect(emulator, { role: 'VIEWER' });
    const master = await connect(emulator, { role: 'MASTER' });

    expect(viewer.readyState).toBe(viewer.OPEN);
    expect(master.readyState).toBe(master.OPEN);
  });

  it("delivers a viewer's SDP_OFFER to the master with the viewer's senderClientId", async () => {
    const master = await connect(emulator, { role: 'MASTER', channel: 'lobby' });
    const viewer = await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'alice.tab1' });

    const received = nextMessage(master);
    viewer.send(message('SDP_OFFER', OFFER));

    const delivered = await received;
    expect(delivered).toMatchObject({ messageType: 'SDP_OFFER', senderClientId: 'alice.tab1' });
    expect(payloadOf(delivered)).toEqual(OFFER);
  });

  it("delivers the master's SDP_ANSWER only to the viewer it names", async () => {
    const master = await connect(emulator, { role: 'MASTER', channel: 'lobby' });
    const first = await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'first' });
    const second = await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'second' });
    const toSecond: unknown[] = [];
    second.on('message', (data) => toSecond.push(data.toString()));

    const received = nextMessage(first);
    master.send(message('SDP_ANSWER', ANSWER, { recipientClientId: 'first' }));

    const delivered = await received;
    expect(delivered.messageType).toBe('SDP_ANSWER');
    expect(delivered).not.toHaveProperty('senderClientId');
    expect(payloadOf(delivered)).toEqual(ANSWER);
    // A round trip on the second viewer's socket: anything sent to it before would have arrived.
    const echo = nextMessage(master);
    second.send(message('ICE_CANDIDATE', { candidate: 'c' }));
    await echo;
    expect(toSecond).toEqual([]);
  });

  it('answers a message it cannot deliver with a STATUS_RESPONSE carrying its correlationId', async () => {
    const viewer = await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'lonely' });
    const master = await connect(emulator, { role: 'MASTER', channel: 'lobby' });

    const status = nextMessage(master);
    master.send(message('SDP_ANSWER', ANSWER, { recipientClientId: 'nobody', correlationId: 'answer-1' }));

    expect((await status).statusResponse).toEqual({
      correlationId: 'answer-1',
      errorType: 'InvalidArgumentException',
      statusCode: '400',
      description: 'No viewer nobody is connected to the channel.',
    });
    const bad = nextMessage(viewer);
    viewer.send(JSON.stringify({ action: 'HELLO', messagePayload: 'e30=', correlationId: 'c-2' }));
    expect((await bad).statusResponse).toMatchObject({
      correlationId: 'c-2',
      errorType: 'InvalidArgumentException',
    });
  });

  it('refuses a presigned URL whose signature was changed, at the handshake (403)', async () => {
    const url = new URL(await presignedUrl(emulator, { role: 'VIEWER' }));
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', tampered(signature));

    const error = await refusal(openSocket(url.toString()));

    expect(error).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
  });

  it('refuses a presigned URL whose ClientId was changed after signing (403)', async () => {
    const url = new URL(await presignedUrl(emulator, { role: 'VIEWER', clientId: 'alice.tab1' }));
    url.searchParams.set('X-Amz-ClientId', 'mallory');

    expect(await refusal(openSocket(url.toString()))).toMatchObject({ status: 403 });
  });

  it('refuses an expired presigned URL (403)', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER', expiresInSeconds: 10 });
    emulator.setClockOffset(11_000);
    try {
      expect(await refusal(openSocket(url))).toMatchObject({
        status: 403,
        errorType: 'AccessDeniedException',
      });
    } finally {
      emulator.setClockOffset(0);
    }
  });

  it('refuses a URL signed for more than 300 seconds (403)', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER', expiresInSeconds: 301 });

    expect(await refusal(openSocket(url))).toMatchObject({ status: 403 });
  });

  it("refuses a viewer session's URL on the master endpoint: its policy allows only ConnectAsViewer (403)", async () => {
    const url = await presignedUrl(emulator, { role: 'MASTER', purpose: 'VIEWER' });

    expect(await refusal(openSocket(url))).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
  });

  it('refuses a session whose policy allows only the ICE calls (403)', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER', purpose: 'ice' });

    expect(await refusal(openSocket(url))).toMatchObject({ status: 403 });
  });

  it('refuses a viewer URL signed without X-Amz-ClientId (400 InvalidArgumentException)', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER', clientId: null });

    expect(await refusal(openSocket(url))).toMatchObject({
      status: 400,
      errorType: 'InvalidArgumentException',
    });
  });

  it('gives a new master precedence: messages reach it alone, and the older one stays open, unreached', async () => {
    const old = await connect(emulator, { role: 'MASTER' });
    const oldInbox = inbox(old);
    const newer = await connect(emulator, { role: 'MASTER' });
    const viewerSocket = await connect(emulator, { role: 'VIEWER', clientId: 'asks-the-master' });

    const received = nextMessage(newer);
    viewerSocket.send(message('SDP_OFFER', OFFER));

    expect(await received).toMatchObject({ messageType: 'SDP_OFFER' });
    expect(oldInbox).toEqual([]);
    expect(old.readyState).toBe(old.OPEN);
    expect(emulator.signaling.stats().superseded).toBeGreaterThanOrEqual(1);
  });

  it('gives a new connection with the same viewer ClientId precedence, and counts the ClientId once', async () => {
    const old = await connect(emulator, { role: 'VIEWER', clientId: 'same' });
    const oldInbox = inbox(old);
    const newer = await connect(emulator, { role: 'VIEWER', clientId: 'same' });
    const master = await connect(emulator, { role: 'MASTER' });

    const received = nextMessage(newer);
    master.send(message('SDP_ANSWER', ANSWER, { recipientClientId: 'same' }));

    expect(await received).toMatchObject({ messageType: 'SDP_ANSWER' });
    expect(oldInbox).toEqual([]);
    expect(old.readyState).toBe(old.OPEN);
    expect(emulator.signaling.stats().channels.demo?.viewers.filter((id) => id === 'same')).toEqual(['same']);
  });

  it('answers a Connect fault like the other operations (throttle: 400 ClientLimitExceededException)', async () => {
    emulator.signaling.setFault('ConnectAsViewer', { kind: 'throttle', times: 1 });

    const error = await refusal(connect(emulator, { role: 'VIEWER' }));

    expect(error).toMatchObject({ status: 400, errorType: 'ClientLimitExceededException' });
    expect(emulator.signaling.stats().faultsInjected.ConnectAsViewer).toBeGreaterThanOrEqual(1);
  });

  it('shows connections, deliveries and refusals in GET /_emulator/signaling', async () => {
    const response = await fetch(`${emulator.url}/_emulator/signaling`);
    const stats = await response.json();

    expect(response.status).toBe(200);
    expect(stats.connects.ConnectAsViewer).toBeGreaterThan(0);
    expect(stats.delivered.SDP_OFFER).toBeGreaterThan(0);
    expect(stats.refused.AccessDeniedException).toBeGreaterThan(0);
  });
});

describe('the signaling limits of the KVS WebRTC developer guide', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      ...SERVES_SIGNALING,
      signaling: { maxConnectionMs: 1500, goAwayGraceMs: 1000, idleTimeoutMs: 60_000 },
    });
  });
  afterAll(() => emulator?.close());

  it('allows 3 Connects per second per channel and refuses the 4th with ClientLimitExceededException', async () => {
    // Its own emulator, whose rate clock stands still: the four Connects fall in one second however slow the machine.
    const emulator = await startTestEmulator({ ...SERVES_SIGNALING, rateClock: () => 0 });
    onTestFinished(() => emulator.close());
    const urls = await Promise.all(
      ['a', 'b', 'c', 'd'].map((clientId) =>
        presignedUrl(emulator, { role: 'VIEWER', channel: 'lobby', clientId }),
      ),
    );

    const outcomes = await Promise.allSettled(urls.map((url) => openSocket(url)));

    for (const outcome of outcomes) if (outcome.status === 'fulfilled') sockets.push(outcome.value);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 400, errorType: 'ClientLimitExceededException' });
  });

  it('sends GO_AWAY a grace period before the maximum connection duration, then closes', async () => {
    const master = await connect(emulator, { role: 'MASTER' });
    const end = closed(master);

    const goAway = await nextMessage(master);

    expect(goAway.messageType).toBe('GO_AWAY');
    expect(await end).toMatchObject({ code: 1000, reason: 'maximum connection duration reached' });
  });
});

describe('the idle timeout', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ ...SERVES_SIGNALING, signaling: { idleTimeoutMs: 500 } });
  });
  afterAll(() => emulator?.close());

  it('closes a connection that sent nothing for the idle timeout', async () => {
    const viewer = await connect(emulator, { role: 'VIEWER' });

    expect(await closed(viewer)).toMatchObject({ code: 1000, reason: 'idle timeout' });
  });
});

describe('the viewers per channel', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // The default idle timeout (10 min): a viewer idle while the next ones connect stays connected.
    emulator = await startTestEmulator({
      ...SERVES_SIGNALING,
      signaling: { viewersPerChannel: 2, connectsPerSecondPerChannel: 100 },
    });
  });
  afterAll(() => emulator?.close());

  it('refuses a viewer beyond the viewers per channel with ClientLimitExceededException', async () => {
    await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'one' });
    await connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'two' });

    const error = await refusal(connect(emulator, { role: 'VIEWER', channel: 'lobby', clientId: 'three' }));

    expect(error).toMatchObject({ status: 400, errorType: 'ClientLimitExceededException' });
  });
});

describe('the signaling service over TLS', () => {
  let emulator: Emulator;
  let ca: string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signaling-tls-test-'));
    const authority = await ensureLocalCa(join(dir, 'ca'));
    const leaf = await createRelayCertificate(dir, authority);
    ca = await readFile(authority.certFile, 'utf8');
    emulator = await startTestEmulator({
      ...SERVES_SIGNALING,
      signalingTls: {
        cert: await readFile(leaf.certFile, 'utf8'),
        key: await readFile(leaf.keyFile, 'utf8'),
      },
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns wss:// endpoints that a client trusting the local CA opens with a presigned URL', async () => {
    const url = await presignedUrl(emulator, { role: 'VIEWER' });

    const socket = await openSocket(url, { ca });
    sockets.push(socket);

    expect(url.startsWith(`${emulator.signalingEndpoints.viewer}/?`)).toBe(true);
    expect(emulator.signalingEndpoints.viewer).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers plain ws:// on the same port, for tools that cannot trust the certificate', async () => {
    const endpoint = emulator.signalingEndpoints.viewer.replace(/^wss:/, 'ws:');

    const socket = await openSocket(await presignedUrl(emulator, { role: 'VIEWER', endpoint }));
    sockets.push(socket);

    expect(socket.readyState).toBe(socket.OPEN);
  });
});

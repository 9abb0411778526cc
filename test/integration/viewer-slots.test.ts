import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { LocalStack } from '../../local/runner';
import { HandshakeRefused, message, nextMessage, openSocket } from '../local/emulator/support/signaling';
import { bearer, mintToken, startAuthStack } from '../local/gateway/support/stack';

/** How many viewer connections the one caller opens: more than a channel's 10 viewer places. */
const CONNECTIONS = 12;
/** Cold starts of instance processes under tsx, and Connects paced at KVS's 3 per second per channel. */
const TIMEOUT_MS = 180_000;

let stack: LocalStack | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await stack?.close();
  stack = undefined;
});

interface ViewerAnswer {
  clientId: string;
  viewerSlot: { slot: number; of: number };
  signaling: { url: string };
}

async function viewerAnswer(running: LocalStack, token: string): Promise<ViewerAnswer> {
  const response = await fetch(`${running.api.url}/v1/channels/demo/viewer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: '{}',
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ViewerAnswer;
}

/** Opens a presigned URL; a Connect refused for KVS's 3 per second per channel is tried again after a pause. */
async function connect(url: string): Promise<WebSocket> {
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = await openSocket(url);
      sockets.push(socket);
      return socket;
    } catch (error) {
      const throttled =
        error instanceof HandshakeRefused && error.errorType === 'ClientLimitExceededException';
      if (!throttled || attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
}

/** Which of `viewers` a master's message to each of `clientIds` reaches (index in `viewers`). */
async function reached(master: WebSocket, viewers: WebSocket[], clientIds: string[]): Promise<number[]> {
  const arrivals = viewers.map((socket, index) => nextMessage(socket).then(() => index));
  for (const id of clientIds)
    master.send(message('SDP_ANSWER', { type: 'answer', sdp: 'v=0' }, { recipientClientId: id }));
  // Each answer goes to exactly one connection: wait for as many arrivals as answers sent.
  const seen: number[] = [];
  const pending = new Set(arrivals);
  while (seen.length < clientIds.length) {
    const index = await Promise.race(pending);
    seen.push(index);
    pending.delete(arrivals[index] as Promise<number>);
  }
  return seen.sort((a, b) => a - b);
}

describe.each([
  ['one function instance', undefined],
  [
    'two function instances sharing the table',
    { instances: 2, sharedTable: true, stdout: 'ignore' as const },
  ],
])(
  `one caller opening ${CONNECTIONS} viewer connections to one channel, with %s`,
  { timeout: TIMEOUT_MS },
  (_, fleet) => {
    it(`holds at most viewerSlotsPerCaller (3) of them at once, and leaves the channel's other places to others`, async () => {
      stack = await startAuthStack({
        channels: ['demo'],
        signalingRoles: ['viewer', 'master'],
        auth: { mode: 'jwt', masterChannelsClaim: 'master_channels' },
        ...(fleet ? { fleet } : {}),
      });
      const running = stack;
      const mallory = await mintToken(running, { sub: 'mallory' });

      const answers: ViewerAnswer[] = [];
      const viewers: WebSocket[] = [];
      for (let i = 0; i < CONNECTIONS; i++) {
        const answer = await viewerAnswer(running, mallory);
        answers.push(answer);
        viewers.push(await connect(answer.signaling.url));
      }

      const ids = [...new Set(answers.map((answer) => answer.clientId))];
      expect(ids).toHaveLength(3);
      expect(answers.map((answer) => answer.viewerSlot.slot)).toEqual(
        Array.from({ length: CONNECTIONS }, (_, i) => i % 3),
      );
      const connected = running.emulator.signaling.stats().channels.demo?.viewers ?? [];
      expect([...connected].sort()).toEqual([...ids].sort());
      // Only the newest connection of each ClientId is reached: the last three opened.
      const camera = await mintToken(running, { sub: 'camera', masterChannels: ['demo'] });
      const masterAnswer = await fetch(`${running.api.url}/v1/channels/demo/master`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(camera) },
        body: '{}',
      });
      const master = await connect(((await masterAnswer.json()) as ViewerAnswer).signaling.url);
      expect(await reached(master, viewers, ids)).toEqual([
        CONNECTIONS - 3,
        CONNECTIONS - 2,
        CONNECTIONS - 1,
      ]);
      // Another caller still gets a viewer place.
      const alice = await viewerAnswer(running, await mintToken(running, { sub: 'alice' }));
      const aliceSocket = await connect(alice.signaling.url);
      expect(aliceSocket.readyState).toBe(aliceSocket.OPEN);
    });
  },
);

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import { assumeScopedRole, type Credentials, signedFetch, startTestEmulator } from './support/emulator';

/** Writes raw bytes on a fresh connection and resolves with whatever the server answers. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.end(bytes);
  });
}

describe('emulator robustness', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    session = await assumeScopedRole(emulator);
  });
  afterAll(() => emulator.close());

  const stillServing = async () => (await fetch(`${emulator.url}/_emulator/stats`)).status;

  it('answers a signed KVS request whose body is not JSON with SerializationException (400)', async () => {
    const response = await signedFetch(emulator, {
      path: '/v1/get-ice-server-config',
      body: '{"ChannelARN":',
      credentials: session,
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('answers a signed KVS request whose body is a JSON array with SerializationException', async () => {
    const response = await signedFetch(emulator, {
      path: '/getSignalingChannelEndpoint',
      body: '[1,2]',
      credentials: session,
    });

    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('answers a body over 64 KiB with 413 without reading it all', async () => {
    const response = await fetch(`${emulator.url}/v1/get-ice-server-config`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024),
    });

    expect(response.status).toBe(413);
  });

  it('answers an STS request with a binary body with an XML error, not a crash', async () => {
    const response = await signedFetch(emulator, {
      path: '/',
      body: '\u0000\u00ff%%%&&==',
      credentials: emulator.executionCredentials,
      service: 'sts',
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /^<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/,
    );
  });

  it('answers a request that is not HTTP with 400 and keeps serving', async () => {
    const answer = await rawExchange(emulator.port, 'HELLO\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(await stillServing()).toBe(200);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { signedHeaders } from './support/sign';
import { clientIdsAtEmulator, postIceServers, startAuthStack } from './support/stack';

interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe('auth=iam', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo', 'lobby'], auth: { mode: 'iam' } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.emulator.resetStats();
  });

  /** SigV4-signs the ice-servers request for `channel` as an AWS SDK signs execute-api calls. */
  async function signedRequest(channel: string, secretAccessKey?: string): Promise<SignedRequest> {
    const credentials = stack.auth.credentials;
    if (!credentials) throw new Error('iam mode should print dev credentials');
    const url = new URL(`${stack.api.url}/v1/channels/${channel}/ice-servers`);
    const body = JSON.stringify({ role: 'VIEWER' });
    const signing = { ...credentials, secretAccessKey: secretAccessKey ?? credentials.secretAccessKey };
    const { host: _host, ...headers } = await signedHeaders(signing, url, body);
    return { url: url.href, headers, body };
  }

  const send = (request: SignedRequest) =>
    fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });

  it('prints dev credentials for the emulated region', () => {
    expect(stack.auth).toMatchObject({
      mode: 'iam',
      credentials: {
        accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/),
        secretAccessKey: expect.any(String),
        region: stack.emulator.region,
      },
    });
  });

  it('serves a request signed with the dev credentials', async () => {
    const request = await signedRequest('demo');

    const response = await send(request);

    expect(response.status).toBe(200);
  });

  it('answers 403 Forbidden to an unsigned request', async () => {
    const response = await postIceServers(stack, 'demo');

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
  });

  it('answers 403 Forbidden to a signed request whose body was changed afterwards', async () => {
    const request = await signedRequest('demo');

    const response = await send({ ...request, body: JSON.stringify({ role: 'MASTER' }) });

    expect(response.status).toBe(403);
  });

  it('answers 403 Forbidden to a request signed with the wrong secret key', async () => {
    const request = await signedRequest('demo', 'not-the-dev-secret-access-key-000000000000');

    const response = await send(request);

    expect(response.status).toBe(403);
  });

  it('sends KVS a ClientId derived from the signing caller that reveals neither its ARN nor its key', async () => {
    // A channel no other test uses, so the function's ICE cache cannot answer instead of KVS.
    const request = await signedRequest('lobby');

    await send(request);

    const clientIds = clientIdsAtEmulator(stack);
    expect(clientIds).toHaveLength(1);
    expect(clientIds[0]).toMatch(/^[a-zA-Z0-9_.-]{1,256}$/);
    expect(clientIds[0]).not.toContain('local-dev');
    expect(clientIds[0]).not.toContain(stack.auth.credentials?.accessKeyId);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { postIceServers, startAuthStack } from './support/stack';

const APP = 'http://localhost:3000';

describe('CORS with -c corsAllowOrigins on a JWT-protected API', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({ auth: { mode: 'jwt' }, corsAllowOrigins: [APP] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const preflight = (origin: string) =>
    fetch(`${stack.api.url}/v1/channels/demo/ice-servers`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it('answers the preflight of an allowed origin with 204 and the CORS headers, without a token', async () => {
    const response = await preflight(APP);

    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST,OPTIONS',
      'access-control-allow-headers':
        'authorization,content-type,x-amz-date,x-amz-security-token,x-amz-content-sha256',
      'access-control-max-age': '3600',
    });
  });

  it('gives the preflight of another origin no CORS headers', async () => {
    const response = await preflight('https://evil.example.com');

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('lets an allowed origin read the response, even a 401', async () => {
    const response = await postIceServers(stack, 'demo', { origin: APP });

    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('vary')).toBe('origin');
  });

  it('gives responses to another origin no CORS headers', async () => {
    const response = await postIceServers(stack, 'demo', { origin: 'https://evil.example.com' });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

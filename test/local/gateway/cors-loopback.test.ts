import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_ORIGINS, localCors } from '../../../local/gateway/cors';
import { isLoopbackOrigin } from '../../../local/http-server';
import type { LocalStack } from '../../../local/runner';
import { postIceServers, startAuthStack } from './support/stack';

describe('local CORS for loopback origins with auth=none and no corsAllowOrigins', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({});
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
        'access-control-request-headers': 'content-type',
      },
    });

  it.each(['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8081'])(
    'answers the preflight of a page on %s',
    async (origin) => {
      const response = await preflight(origin);

      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-methods')).toBe('POST,OPTIONS');
    },
  );

  it('lets a loopback page read the answer and its Retry-After', async () => {
    const response = await postIceServers(stack, 'demo', { origin: 'http://localhost:5173' });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-expose-headers')).toBe('retry-after');
  });

  it.each(['https://localhost:5173', 'http://evil.example.com', 'http://localhost.evil.example.com'])(
    'gives %s no CORS headers',
    async (origin) => {
      const response = await preflight(origin);

      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  it('says so in what the runner prints', () => {
    expect(stack.corsOrigins).toEqual(LOOPBACK_ORIGINS);
  });
});

describe('localCors', () => {
  it('uses exactly the configured origins when corsAllowOrigins is set, whatever the auth mode', () => {
    expect(localCors(['https://app.example.com'], 'none').origins).toEqual(['https://app.example.com']);
  });

  it('has no default with jwt or iam, as a deployment', () => {
    expect(localCors(undefined, 'jwt')).toEqual({ rules: undefined, origins: [] });
    expect(localCors([], 'iam')).toEqual({ rules: undefined, origins: [] });
  });

  it('takes http loopback origins with a port, and nothing that only looks like one', () => {
    expect(
      ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://127.1.2.3:9', 'http://localhost'].map(
        isLoopbackOrigin,
      ),
    ).toEqual([true, true, true, true]);
    expect(
      [
        'https://localhost:1',
        'http://localhost:1/',
        'http://localhost.example:1',
        'null',
        'http://10.0.0.1:1',
      ].map(isLoopbackOrigin),
    ).toEqual([false, false, false, false, false]);
  });
});

import { request } from 'node:http';
import { ICE_SERVERS_ROUTE_PATH } from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../local/gateway/server';

/** A POST to the local API with `host` as its Host header (fetch cannot set it). */
function postWithHost(api: ApiServer, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: api.port,
        method: 'POST',
        path: '/v1/channels/demo/ice-servers',
        headers: { host },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('the local API answers requests addressed to this machine only', () => {
  let api: ApiServer;
  let invoked = 0;
  beforeAll(async () => {
    api = await startApiServer({
      port: 0,
      routes: [ICE_SERVERS_ROUTE_PATH],
      handler: async () => {
        invoked++;
        return { statusCode: 200, body: '{}' };
      },
    });
  });
  afterAll(() => api?.close());

  it.each(['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io'])(
    'refuses Host %j (a DNS-rebinding page) with 403, without invoking the function',
    async (name) => {
      const before = invoked;

      const answer = await postWithHost(api, `${name}:${api.port}`);

      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ message: 'Forbidden' });
      expect(invoked).toBe(before);
    },
  );

  it.each(['127.0.0.1', 'localhost', '[::1]'])('serves Host %s', async (name) => {
    expect((await postWithHost(api, `${name}:${api.port}`)).status).toBe(200);
  });
});

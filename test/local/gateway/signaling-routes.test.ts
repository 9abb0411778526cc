import { ICE_SERVERS_ROUTE_PATH, SIGNALING_ROUTE_PATHS } from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../local/gateway/server';
import type { LocalStack } from '../../../local/runner';
import { startAuthStack } from './support/stack';

describe('the local API routes the signaling routes a deployment has, as API Gateway does', () => {
  let api: ApiServer;
  const events: APIGatewayProxyEventV2[] = [];
  beforeAll(async () => {
    api = await startApiServer({
      port: 0,
      routes: [ICE_SERVERS_ROUTE_PATH, SIGNALING_ROUTE_PATHS.VIEWER],
      handler: async (event) => {
        events.push(event);
        return { statusCode: 200, body: '{}' };
      },
    });
  });
  afterAll(() => api?.close());

  const post = (path: string) => fetch(`${api.url}${path}`, { method: 'POST', body: '{}' });

  it('hands the function the viewer route key and the decoded channel', async () => {
    events.length = 0;

    const response = await post('/v1/channels/demo%2Ebad/viewer');

    expect(response.status).toBe(200);
    expect(events[0]?.routeKey).toBe('POST /v1/channels/{channel}/viewer');
    expect(events[0]?.requestContext.routeKey).toBe('POST /v1/channels/{channel}/viewer');
    expect(events[0]?.pathParameters).toEqual({ channel: 'demo.bad' });
  });

  it('keeps the ice-servers route key for the ice-servers route', async () => {
    events.length = 0;

    await post('/v1/channels/demo/ice-servers');

    expect(events[0]?.routeKey).toBe('POST /v1/channels/{channel}/ice-servers');
  });

  it.each([
    ['the master route of a deployment that serves viewers only', '/v1/channels/demo/master'],
    ['a double slash inside', '/v1//channels/demo/viewer'],
    ['"%2e%2e" where the channel goes', '/v1/channels/%2e%2e/viewer'],
    ['a trailing slash', '/v1/channels/demo/viewer/'],
  ])('answers %s with 404 Not Found', async (_, path) => {
    const response = await post(path);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });
});

describe('npm start -c signalingRoles=viewer,master with auth=none (loopback only; a deployment refuses it at synth)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startAuthStack({ signalingRoles: ['viewer', 'master'] });
  });
  afterAll(() => stack?.close());

  it('serves the viewer route and leaves the master route out (404 Not Found)', async () => {
    const post = (role: string) =>
      fetch(`${stack.api.url}/v1/channels/demo/${role}`, { method: 'POST', body: '{}' });

    const [viewer, master] = [await post('viewer'), await post('master')];

    expect(viewer.status).toBe(200);
    expect(master.status).toBe(404);
    expect(await master.json()).toEqual({ message: 'Not Found' });
  });
});

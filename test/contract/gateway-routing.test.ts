import { connect } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../local/gateway/server';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';

interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** Joins the chunks of a `Transfer-Encoding: chunked` body. */
function unchunk(text: string): string {
  let body = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return body;
    body += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * Sends `METHOD target HTTP/1.1` over a bare TCP socket, so that no client library resolves,
 * re-encodes or rejects the request target before the local API sees it.
 */
function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const body = '{}';
  const lines = Object.entries({
    host: `127.0.0.1:${port}`,
    'content-type': 'application/json',
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split);
      const rest = text.slice(split + 4);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
        body: /^transfer-encoding:\s*chunked/im.test(head) ? unchunk(rest) : rest,
      });
    });
    socket.write(`${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n${body}`);
  });
}

const NOT_FOUND = { status: 404, body: '{"message":"Not Found"}' };

describe('the local API routes on the raw request target, as API Gateway does', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo', 'demo.bad'] });
  });
  afterAll(() => stack?.close());

  it.each([
    ['the route itself', 'POST', '/v1/channels/demo/ice-servers'],
    ['the route with a query string', 'POST', '/v1/channels/demo/ice-servers?x=1'],
    ['a percent-encoded channel name', 'POST', '/v1/channels/demo%2Ebad/ice-servers'],
  ])('serves %s (%s %s)', async (_, method, target) => {
    const answer = await rawRequest(stack.api.port, method, target);

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toHaveProperty('iceServers');
  });

  it.each([
    ['a "." segment', 'POST', '/v1/channels/./demo/ice-servers'],
    ['a "." segment before the last one', 'POST', '/v1/channels/demo/./ice-servers'],
    ['a ".." segment', 'POST', '/v1/channels/../channels/demo/ice-servers'],
    ['a ".." segment that climbs back into the route', 'POST', '/v1/channels/demo/x/../ice-servers'],
    ['a percent-encoded ".." segment', 'POST', '/v1/channels/%2e%2e/channels/demo/ice-servers'],
    ['a percent-encoded "." segment', 'POST', '/v1/channels/%2E/demo/ice-servers'],
    ['".." where the channel goes', 'POST', '/v1/channels/../ice-servers'],
    ['"%2e%2e" where the channel goes', 'POST', '/v1/channels/%2e%2e/ice-servers'],
    ['a backslash for a slash', 'POST', '/v1\\channels/demo/ice-servers'],
    ['a backslash before the last segment', 'POST', '/v1/channels/demo\\ice-servers'],
    ['a leading double slash', 'POST', '//v1/channels/demo/ice-servers'],
    ['a double slash inside', 'POST', '/v1//channels/demo/ice-servers'],
    ['a double slash before the channel', 'POST', '/v1/channels//demo/ice-servers'],
    ['an absolute-form target for another host', 'POST', 'http://other.example/v1/channels/demo/ice-servers'],
    ['an absolute-form target for this host', 'POST', 'http://127.0.0.1/v1/channels/demo/ice-servers'],
    ['the asterisk-form target', 'POST', '*'],
    ['the asterisk-form target of OPTIONS', 'OPTIONS', '*'],
    ['a trailing slash', 'POST', '/v1/channels/demo/ice-servers/'],
    ['another letter case', 'POST', '/V1/channels/demo/ice-servers'],
    ['GET on the route', 'GET', '/v1/channels/demo/ice-servers'],
    ['PUT on the route', 'PUT', '/v1/channels/demo/ice-servers'],
  ])('answers %s (%s %s) with 404 Not Found', async (_, method, target) => {
    const answer = await rawRequest(stack.api.port, method, target);

    expect(answer).toEqual(NOT_FOUND);
  });

  it('refuses a target that starts with a backslash before routing, with 400', async () => {
    const answer = await rawRequest(stack.api.port, 'POST', '\\v1/channels/demo/ice-servers');

    expect(answer.status).toBe(400);
  });
});

describe('with auth=iam, a valid signature does not make a non-route path routable', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo', 'demo.bad'], auth: { mode: 'iam' } });
  });
  afterAll(() => stack?.close());

  /** Headers of a POST of `{}` to `path`, signed with the dev credentials as an AWS SDK signs it. */
  async function signed(path: string): Promise<Record<string, string>> {
    const credentials = stack.auth.credentials;
    if (!credentials) throw new Error('iam mode should print dev credentials');
    const signer = new SignatureV4({
      credentials,
      region: credentials.region,
      service: 'execute-api',
      sha256: Sha256,
    });
    const request = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: stack.api.port,
      path,
      query: {},
      headers: { host: `127.0.0.1:${stack.api.port}`, 'content-type': 'application/json' },
      body: '{}',
    });
    return request.headers;
  }

  it.each([
    ['the route itself', '/v1/channels/demo/ice-servers'],
    ['a percent-encoded channel name', '/v1/channels/demo%2Ebad/ice-servers'],
  ])('serves %s, signed as sent', async (_, path) => {
    const answer = await rawRequest(stack.api.port, 'POST', path, await signed(path));

    expect(answer.status).toBe(200);
  });

  it('answers a signed path that reaches the route only once ".." is resolved with 404', async () => {
    // SigV4 resolves dot segments in its canonical path, so this signature is valid for the route.
    const path = '/v1/channels/x/../demo/ice-servers';

    const answer = await rawRequest(stack.api.port, 'POST', path, await signed(path));

    expect(answer).toEqual(NOT_FOUND);
  });
});

describe('the local API hands the function the target as it arrived', () => {
  let api: ApiServer;
  const events: APIGatewayProxyEventV2[] = [];
  beforeAll(async () => {
    api = await startApiServer({
      port: 0,
      handler: async (event) => {
        events.push(event);
        return { statusCode: 200, body: '{}' };
      },
    });
  });
  afterAll(() => api?.close());

  const eventFor = async (target: string) => {
    events.length = 0;
    await rawRequest(api.port, 'POST', target);
    const [event] = events;
    if (!event) throw new Error(`the function was not invoked for ${target}`);
    return event;
  };

  it('passes the channel percent-decoded, as HTTP APIs do, and the raw path as it was written', async () => {
    const event = await eventFor('/v1/channels/demo%2Ebad/ice-servers');

    expect(event.pathParameters).toEqual({ channel: 'demo.bad' });
    expect(event.rawPath).toBe('/v1/channels/demo%2Ebad/ice-servers');
  });

  it('splits the query string off at the first "?" and keeps it raw', async () => {
    const event = await eventFor('/v1/channels/demo/ice-servers?x=1&note=a%20b?c');

    expect(event.rawPath).toBe('/v1/channels/demo/ice-servers');
    expect(event.rawQueryString).toBe('x=1&note=a%20b?c');
    expect(event.queryStringParameters).toEqual({ x: '1', note: 'a b?c' });
  });

  it('joins a repeated query parameter with commas', async () => {
    const event = await eventFor('/v1/channels/demo/ice-servers?x=1&x=2');

    expect(event.queryStringParameters).toEqual({ x: '1,2' });
  });

  it('gives no query string parameters for a bare "?"', async () => {
    const event = await eventFor('/v1/channels/demo/ice-servers?');

    expect(event.rawQueryString).toBe('');
    expect(event.queryStringParameters).toBeUndefined();
  });
});

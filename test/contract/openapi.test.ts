import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSpec, Operation } from '../../local/emulator';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';
import { type Answer, answerOf, contractViolations } from './support/answers';
import { channelParameter, documentedResponse, jsonContent, pointee, requestBody } from './support/document';
import { schemaProblem } from './support/validators';

/** One channel per upstream fault: caches are per channel, so each one starts cold and reaches the fault. */
const FAULTS: [string, number, string, Operation, FaultSpec][] = [
  [
    'KVS says the channel does not exist',
    404,
    'fault-404',
    'GetSignalingChannelEndpoint',
    { kind: 'notFound' },
  ],
  ['KVS keeps throttling', 429, 'fault-429', 'GetIceServerConfig', { kind: 'throttle' }],
  ['KVS fails with a 500', 502, 'fault-502', 'GetIceServerConfig', { kind: 'serverError', status: 500 }],
  ['KVS is unavailable', 503, 'fault-503', 'GetIceServerConfig', { kind: 'serverError', status: 503 }],
  ['KVS is slower than the deadline', 504, 'fault-504', 'GetIceServerConfig', { latencyMs: 8000 }],
];

/** Bodies as sent, and whether the handler should accept them (the request schema must agree). */
const REQUEST_SAMPLES: [string, boolean][] = [
  ['{}', true],
  ['{"role":"VIEWER"}', true],
  ['{"role":"MASTER"}', true],
  ['{"role":"viewer"}', false],
  ['{"role":null}', false],
  ['{"transports":["udp","tcp","tls","dtls"]}', true],
  ['{"transports":["udp","udp"]}', true],
  ['{"transports":[]}', false],
  ['{"transports":["udp","tcp","tls","dtls","udp"]}', false],
  ['{"transports":["quic"]}', false],
  ['{"transports":"udp"}', false],
  ['{"maxServerSets":1}', true],
  ['{"maxServerSets":16}', true],
  ['{"maxServerSets":0}', false],
  ['{"maxServerSets":17}', false],
  ['{"maxServerSets":1.5}', false],
  ['{"maxServerSets":"2"}', false],
  ['{"role":"MASTER","transports":["tls"],"maxServerSets":1}', true],
  ['{"colour":"blue"}', false],
  ['{"__proto__":{"role":"VIEWER"}}', false],
  ['[]', false],
  ['null', false],
  ['"VIEWER"', false],
  ['42', false],
];

/** Channel names as they appear in the URL path; only `demo` is served. */
const CHANNEL_SAMPLES = [
  'demo',
  'not-served',
  'a.b_c-D9',
  'x'.repeat(256),
  'x'.repeat(257),
  'two%20words',
  'caf%C3%A9',
];

let stack: LocalStack;

function post(channel: string, body?: string): Promise<Response> {
  return fetch(`${stack.api.url}/v1/channels/${channel}/ice-servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

const call = async (channel: string, body?: string): Promise<Answer> => answerOf(await post(channel, body));

beforeAll(async () => {
  stack = await startAuthStack({
    channels: ['demo', ...FAULTS.map(([, , channel]) => channel)],
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', UPSTREAM_DEADLINE_MS: '3000', UPSTREAM_ATTEMPTS: '1' },
  });
});
afterAll(() => stack?.close());
beforeEach(() => stack.emulator.clearFaults());

describe('the live API answers as docs/openapi.json says', () => {
  it.each([
    ['no body', undefined],
    ['an empty object', '{}'],
    ['role MASTER', '{"role":"MASTER"}'],
    ['one TLS server set', '{"transports":["tls"],"maxServerSets":1}'],
  ])('answers %s with a documented 200', async (_, body) => {
    const answer = await call('demo', body);

    expect(answer.status).toBe(200);
    expect(contractViolations(answer)).toEqual([]);
  });

  it.each([
    ['bad JSON', 'demo', '{"role":'],
    ['an unknown field', 'demo', '{"colour":"blue"}'],
    ['a field of the wrong type', 'demo', '{"maxServerSets":"2"}'],
    ['a body that is not an object', 'demo', '["VIEWER"]'],
    ['a body over the size limit', 'demo', JSON.stringify({ role: 'VIEWER', pad: 'x'.repeat(5000) })],
    ['a name that cannot be a channel', 'two%20words', '{}'],
    ['a transport no TURN server offers (KVS has no turn:?transport=tcp)', 'demo', '{"transports":["tcp"]}'],
  ])('refuses %s with a documented 400', async (_, channel, body) => {
    const answer = await call(channel, body);

    expect(answer.status).toBe(400);
    expect(contractViolations(answer)).toEqual([]);
  });

  it('refuses a channel the deployment does not serve with a documented 403', async () => {
    const answer = await call('not-served', '{}');

    expect(answer.status).toBe(403);
    expect(contractViolations(answer)).toEqual([]);
  });

  it.each(FAULTS)('when %s, answers a documented %i', async (_, status, channel, operation, fault) => {
    stack.emulator.setFault(operation, fault);

    const answer = await call(channel, '{}');

    expect(answer.status).toBe(status);
    expect(contractViolations(answer)).toEqual([]);
  });
});

// KVS offers `turn:…?transport=udp`, `turns:…?transport=udp` (dtls) and `turns:…?transport=tcp`
// (tls), never `turn:…?transport=tcp`: a valid request for `tcp` alone leaves no TURN server.
describe('a transports filter that leaves no TURN server', () => {
  it('is refused with the 400 that docs/openapi.json shows, naming the transports offered', async () => {
    const documented = jsonContent(documentedResponse(400) ?? { description: '' }).examples
      ?.transportNotOffered?.value;

    const answer = await call('demo', '{"transports":["tcp"]}');

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 'InvalidRequest',
        message: 'no TURN server offers transport tcp; offered: udp, tls, dtls',
      },
    });
    expect(answer.body).toEqual(documented);
  });

  it.each([
    ['ice-servers', 'IceServersRequest'],
    ['viewer and master', 'SignalingRequest'],
  ])('is what the %s request schema says of `transports`, not an answer without TURN servers', (_, name) => {
    const schema = pointee(`#/components/schemas/${name}`) as {
      properties: { transports: { description: string } };
    };

    expect(schema.properties.transports.description).toContain(
      'When none is left, the answer is 400 `InvalidRequest` naming the transports offered',
    );
  });
});

describe('the request schema of docs/openapi.json and the handler agree', () => {
  it.each(REQUEST_SAMPLES)('on the body %s (accepted: %s)', async (text, accepted) => {
    const answer = await call('demo', text);
    const problem = schemaProblem(jsonContent(requestBody()).schema, JSON.parse(text));

    expect(answer.status).toBe(accepted ? 200 : 400);
    expect(problem === undefined).toBe(accepted);
  });

  it.each(CHANNEL_SAMPLES)('on the channel name "%s"', async (name) => {
    const answer = await call(name, '{}');
    const problem = schemaProblem(channelParameter().schema, decodeURIComponent(name));

    expect(answer.status === 400).toBe(problem !== undefined);
  });
});

import { CHANNEL_ROLES, type ChannelRole, SIGNALING_ROUTE_PATHS } from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';
import { answerOf } from './support/answers';
import { document, jsonContent, type Operation, type RequestBody, resolve } from './support/document';
import { schemaProblem } from './support/validators';

/** A signaling route's operation, as documented. */
function operation(role: ChannelRole): Operation {
  const documented = document.paths[SIGNALING_ROUTE_PATHS[role]]?.post;
  if (!documented) throw new Error(`docs/openapi.json documents no POST ${SIGNALING_ROUTE_PATHS[role]}`);
  return documented;
}

/** Why an answer departs from the viewer route's documented response for its status, if it does. */
function violation(status: number, body: unknown): string | undefined {
  const response = operation('VIEWER').responses[String(status)];
  if (!response) return `status ${status} is not documented`;
  return schemaProblem(jsonContent(resolve(response)).schema, body);
}

/** Bodies as sent, and whether the handler accepts them (the documented request schema must agree). */
const REQUEST_SAMPLES: [string, boolean][] = [
  ['{}', true],
  ['{"transports":["tls"]}', true],
  ['{"maxServerSets":1}', true],
  ['{"role":"VIEWER"}', false],
  ['{"maxServerSets":0}', false],
  ['{"colour":"blue"}', false],
];

describe('the signaling routes as docs/openapi.json documents them', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo'], signalingRoles: ['viewer'] });
  });
  afterAll(() => stack?.close());

  const post = async (body: string) =>
    answerOf(
      await fetch(`${stack.api.url}/v1/channels/demo/viewer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );

  it('answers the viewer route with the documented SignalingConnection', async () => {
    const answer = await post('{}');

    expect(answer.status).toBe(200);
    expect(violation(200, answer.body)).toBeUndefined();
  });

  it.each(REQUEST_SAMPLES)(
    'accepts %s exactly when the documented request schema does',
    async (body, accepted) => {
      const requestSchema = jsonContent(resolve(operation('VIEWER').requestBody as RequestBody)).schema;

      const answer = await post(body);

      expect(answer.status === 200).toBe(accepted);
      expect(schemaProblem(requestSchema, JSON.parse(body)) === undefined).toBe(accepted);
      expect(violation(answer.status, answer.body)).toBeUndefined();
    },
  );

  it('refuses transports that leave no TURN server with the 400 the viewer route documents', async () => {
    const badRequest = resolve(operation('VIEWER').responses['400'] ?? { description: '' });
    const documented = jsonContent(badRequest).examples?.transportNotOffered?.value;

    const answer = await post('{"transports":["tcp"]}');

    expect(answer.status).toBe(400);
    expect(documented).toBeDefined();
    expect(answer.body).toEqual(documented);
  });

  it('keeps the example answers of both routes valid against their schema', () => {
    for (const role of CHANNEL_ROLES) {
      const ok = jsonContent(resolve(operation(role).responses['200'] ?? { $ref: '' }));
      for (const example of Object.values(ok.examples ?? {})) {
        expect(schemaProblem(ok.schema, example.value)).toBeUndefined();
      }
    }
  });
});

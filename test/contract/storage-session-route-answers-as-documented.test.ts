import {
  type ChannelRole,
  SIGNALING_ROUTE_PATHS,
  STORAGE_SESSION_ROUTE_PATHS,
  storageSessionPath,
} from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';
import { type Answer, answerOf } from './support/answers';
import { document, jsonContent, type Operation, type RequestBody, resolve } from './support/document';
import { schemaProblem } from './support/validators';

/** A storage-session route's operation, as documented. */
function operation(role: ChannelRole): Operation {
  const documented = document.paths[STORAGE_SESSION_ROUTE_PATHS[role]]?.post;
  if (!documented)
    throw new Error(`docs/openapi.json documents no POST ${STORAGE_SESSION_ROUTE_PATHS[role]}`);
  return documented;
}

/** Why an answer departs from the documented response of `documented` for its status, if it does. */
function violation(documented: Operation, answer: Answer): string | undefined {
  const response = documented.responses[String(answer.status)];
  if (!response) return `status ${answer.status} is not documented`;
  return schemaProblem(jsonContent(resolve(response)).schema, answer.body);
}

/** The viewer storage-session route's documented example `name` of `status`. */
function example(status: number, name: string): unknown {
  const response = resolve(operation('VIEWER').responses[String(status)] ?? { description: '' });
  return jsonContent(response).examples?.[name]?.value;
}

/** Bodies of the viewer's join, and whether the handler accepts them (the documented request schema must agree). */
const REQUEST_SAMPLES: [string, boolean][] = [
  ['{"clientId":"a.v0"}', true],
  ['{}', false],
  ['{"role":"VIEWER","clientId":"a.v0"}', false],
  ['{"clientId":"a v0"}', false],
  ['{"clientId":7}', false],
];

describe('the storage-session routes as docs/openapi.json documents them', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // auth none: anonymous viewers, pooled by source IP; `demo` records media, `lobby` does not.
    stack = await startAuthStack({
      channels: ['demo', 'lobby'],
      storageChannels: ['demo'],
      signalingRoles: ['viewer'],
      storageSessions: true,
    });
  });
  afterAll(() => stack?.close());

  const post = async (path: string, body: unknown) =>
    answerOf(
      await fetch(`${stack.api.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  const viewerAnswer = (channel: string) =>
    post(SIGNALING_ROUTE_PATHS.VIEWER.replace('{channel}', channel), {});

  it('answers the viewer route with the documented SignalingConnection and its mediaStorage', async () => {
    const answer = await viewerAnswer('demo');

    expect(answer.status).toBe(200);
    const viewerRoute = document.paths[SIGNALING_ROUTE_PATHS.VIEWER]?.post;
    expect(viewerRoute && violation(viewerRoute, answer)).toBeUndefined();
    expect(answer.body).toMatchObject({
      mediaStorage: { enabled: true, join: { path: storageSessionPath('VIEWER', 'demo') } },
    });
  });

  it("answers the viewer answer's join with the documented StorageSessionResponse", async () => {
    const { body } = await viewerAnswer('demo');
    const join = (body as { mediaStorage: { join: { path: string; body: unknown } } }).mediaStorage.join;

    const answer = await post(join.path, join.body);

    expect(answer.status).toBe(200);
    expect(violation(operation('VIEWER'), answer)).toBeUndefined();
  });

  it.each(REQUEST_SAMPLES)(
    "accepts %s as the viewer's join exactly when the documented request schema does",
    async (body, accepted) => {
      const requestSchema = jsonContent(resolve(operation('VIEWER').requestBody as RequestBody)).schema;

      const answer = await post(storageSessionPath('VIEWER', 'demo'), body);

      expect(answer.status !== 400).toBe(accepted);
      expect(schemaProblem(requestSchema, JSON.parse(body)) === undefined).toBe(accepted);
      expect(violation(operation('VIEWER'), answer)).toBeUndefined();
    },
  );

  it('refuses a join on a channel that records no media with the 400 the route documents', async () => {
    const { body } = await viewerAnswer('lobby');
    const clientId = (body as { clientId: string }).clientId;

    const answer = await post(storageSessionPath('VIEWER', 'lobby'), { clientId });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(example(400, 'noMedia'));
  });

  it('answers a join that may have reached KVS with the 502 the route documents, saying when to join again, without Retry-After', async () => {
    const { body } = await viewerAnswer('demo');
    const join = (body as { mediaStorage: { join: { path: string; body: unknown } } }).mediaStorage.join;
    stack.emulator.setFault('JoinStorageSessionAsViewer', { kind: 'serverError', status: 500 });
    try {
      const answer = await post(join.path, join.body);

      expect(answer.status).toBe(502);
      expect(answer.body).toEqual(example(502, 'mayHaveBeenSent'));
      expect(answer.headers.get('retry-after')).toBeNull();
      expect(violation(operation('VIEWER'), answer)).toBeUndefined();
    } finally {
      stack.emulator.clearFaults();
    }
  });

  it('refuses a clientId the viewer route did not issue to the caller with the 403 the route documents', async () => {
    const answer = await post(storageSessionPath('VIEWER', 'demo'), { clientId: 'someone-else.v0' });

    expect(answer.status).toBe(403);
    expect(answer.body).toEqual(example(403, 'clientIdNotIssued'));
  });

  it.each(['VIEWER', 'MASTER'] as const)(
    'keeps the example answers and bodies of the %s route valid against their schemas',
    (role) => {
      const documented = operation(role);
      const ok = jsonContent(resolve(documented.responses['200'] ?? { $ref: '' }));
      const request = jsonContent(resolve(documented.requestBody as RequestBody));

      const answers = Object.values(ok.examples ?? {}).map(({ value }) => schemaProblem(ok.schema, value));
      const bodies = Object.values(request.examples ?? {}).map(({ value }) =>
        schemaProblem(request.schema, value),
      );

      expect(answers).toEqual([undefined]);
      expect(bodies).toEqual([undefined]);
    },
  );
});

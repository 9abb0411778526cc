import { SIGNALING_ROUTE_PATHS, STORAGE_SESSION_ROUTE_PATH } from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';
import { type Answer, answerOf } from './support/answers';
import { document, jsonContent, type Operation, type RequestBody, resolve } from './support/document';
import { schemaProblem } from './support/validators';

/** A route's operation, as documented. */
function operation(path: string): Operation {
  const documented = document.paths[path]?.post;
  if (!documented) throw new Error(`docs/openapi.json documents no POST ${path}`);
  return documented;
}

/** Why an answer departs from the route's documented response for its status, if it does. */
function violation(path: string, answer: Answer): string | undefined {
  const response = operation(path).responses[String(answer.status)];
  if (!response) return `status ${answer.status} is not documented`;
  return schemaProblem(jsonContent(resolve(response)).schema, answer.body);
}

/** The route's documented example `name` of `status`. */
function example(status: number, name: string): unknown {
  const response = resolve(
    operation(STORAGE_SESSION_ROUTE_PATH).responses[String(status)] ?? { description: '' },
  );
  return jsonContent(response).examples?.[name]?.value;
}

/** Bodies the handler refuses with 400 exactly when the documented request schema refuses them. */
const REQUEST_SAMPLES: [string, boolean][] = [
  ['{"role":"MASTER"}', true],
  ['{"role":"VIEWER"}', false],
  ['{"role":"MASTER","clientId":"a.v0"}', false],
  ['{"role":"OBSERVER"}', false],
  ['{"role":"VIEWER","clientId":"a v0"}', false],
  ['{}', false],
];

describe('the storage-session route as docs/openapi.json documents it', () => {
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
  const storageSession = (channel: string) => STORAGE_SESSION_ROUTE_PATH.replace('{channel}', channel);

  it('answers the viewer route with the documented SignalingConnection and its mediaStorage', async () => {
    const answer = await viewerAnswer('demo');

    expect(answer.status).toBe(200);
    expect(violation(SIGNALING_ROUTE_PATHS.VIEWER, answer)).toBeUndefined();
    expect(answer.body).toMatchObject({ mediaStorage: { enabled: true } });
  });

  it("answers the viewer answer's join with the documented StorageSessionResponse", async () => {
    const { body } = await viewerAnswer('demo');
    const join = (body as { mediaStorage: { join: { path: string; body: unknown } } }).mediaStorage.join;

    const answer = await post(join.path, join.body);

    expect(answer.status).toBe(200);
    expect(violation(STORAGE_SESSION_ROUTE_PATH, answer)).toBeUndefined();
  });

  it.each(REQUEST_SAMPLES)(
    'refuses %s with 400 exactly when the documented request schema does',
    async (body, schemaAccepts) => {
      const requestSchema = jsonContent(
        resolve(operation(STORAGE_SESSION_ROUTE_PATH).requestBody as RequestBody),
      ).schema;

      const answer = await post(storageSession('demo'), body);

      expect(answer.status !== 400).toBe(schemaAccepts);
      expect(schemaProblem(requestSchema, JSON.parse(body)) === undefined).toBe(schemaAccepts);
      expect(violation(STORAGE_SESSION_ROUTE_PATH, answer)).toBeUndefined();
    },
  );

  it('refuses a join on a channel that records no media with the 400 the route documents', async () => {
    const { body } = await viewerAnswer('lobby');
    const clientId = (body as { clientId: string }).clientId;

    const answer = await post(storageSession('lobby'), { role: 'VIEWER', clientId });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(example(400, 'noMedia'));
  });

  it('refuses a clientId the viewer route did not issue to the caller with the 403 the route documents', async () => {
    const answer = await post(storageSession('demo'), { role: 'VIEWER', clientId: 'someone-else.v0' });

    expect(answer.status).toBe(403);
    expect(answer.body).toEqual(example(403, 'clientIdNotIssued'));
  });

  it('keeps the example answers of the route valid against their schema', () => {
    const ok = jsonContent(resolve(operation(STORAGE_SESSION_ROUTE_PATH).responses['200'] ?? { $ref: '' }));
    expect(Object.keys(ok.examples ?? {})).toEqual(['master', 'viewer']);
    for (const { value } of Object.values(ok.examples ?? {})) {
      expect(schemaProblem(ok.schema, value)).toBeUndefined();
    }
  });
});

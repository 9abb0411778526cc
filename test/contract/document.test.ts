import {
  CHANNEL_NAME_PATTERN,
  type ErrorAnswer,
  type ErrorCode,
  ICE_SERVERS_ROUTE_PATH,
  type IceServersAnswer,
  type IceServersRequestBody,
  SIGNALING_ROUTE_PATHS,
  type SignalingAnswer,
  type SignalingRequestBody,
  STORAGE_SESSION_ROUTE_PATHS,
  type StorageSessionAnswer,
  type StorageSessionRequestBody,
} from '@kvs-ice-broker/client/contract';
import { describe, expect, it } from 'vitest';
import { VendingError } from '../../lambda/core/errors';
import { MAX_BODY_BYTES } from '../../lambda/http/request';
import { errorResponse } from '../../lambda/http/response';
import { answerOfResult, contractViolations } from './support/answers';
import {
  channelParameter,
  document,
  documentedResponse,
  iceServersOperation,
  type JsonSchema,
  jsonContent,
  type MediaType,
  pointee,
  type ResponseObject,
  requestBody,
  resolve,
} from './support/document';
import { schemaProblem } from './support/validators';

/** Every error code of the contract: `satisfies` fails type-checking when the handler's list changes. */
const ERROR_CODES = {
  InvalidRequest: true,
  ChannelNotAllowed: true,
  CallerNotIdentified: true,
  CallerBlocked: true,
  ChannelNotFound: true,
  Throttled: true,
  UpstreamError: true,
  Unavailable: true,
  UpstreamTimeout: true,
  InternalError: true,
} as const satisfies Record<ErrorCode, true>;
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** Statuses API Gateway answers itself, before or instead of the function (authorizers, throttling, crashes). */
const API_GATEWAY_STATUSES = [401, 403, 429, 500];

const handlerStatus = (code: ErrorCode) => answerOfResult(errorResponse(new VendingError(code, 'x'))).status;

/**
 * The schema of one error code's body, `{"error": {"code", "message"}}` and nothing else. Each is
 * complete in itself rather than composed with `allOf`: `additionalProperties` cannot see into a
 * sibling `allOf`, and linters (Redocly) read a composed part as closed, failing the examples.
 */
const errorSchema = (code: ErrorCode) => ({
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  description: `The function's \`${code}\` error.`,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { $ref: '#/components/schemas/ErrorCode', const: code },
        message: { $ref: '#/components/schemas/ErrorMessage' },
      },
    },
  },
});

/** The alternatives of a response schema that offers several (`oneOf` or `anyOf`), else none. */
function alternatives(schema: JsonSchema): JsonSchema[] {
  const resolved = resolve(schema);
  if (typeof resolved !== 'object') return [];
  return (resolved.oneOf ?? resolved.anyOf ?? []) as JsonSchema[];
}

/** How many alternatives of the schema accept the value. */
const matchingAlternatives = (schema: JsonSchema, value: unknown) =>
  alternatives(schema).filter((alternative) => schemaProblem(alternative, value) === undefined).length;

function allExamples(): [string, JsonSchema, unknown][] {
  const owners: [string, { readonly content?: Readonly<Record<string, MediaType>> }][] = [
    ...Object.entries(iceServersOperation().responses).map(([status, response]): [string, ResponseObject] => [
      status,
      resolve(response),
    ]),
    ['request', requestBody()],
  ];
  return owners.flatMap(([owner, { content }]) => {
    const media = content?.['application/json'];
    if (!media) return [];
    return Object.entries(media.examples ?? {}).map(([name, example]): [string, JsonSchema, unknown] => [
      `${owner} ${name}`,
      media.schema,
      example.value,
    ]);
  });
}

/** The examples of responses whose schema offers alternatives (the function's or API Gateway's body). */
const examplesWithAlternatives = () => allExamples().filter(([, schema]) => alternatives(schema).length > 0);

function references(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(references);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : references(value),
  );
}

describe('docs/openapi.json', () => {
  it('documents the routes the stack can deploy, and no other', () => {
    const routes = [
      ICE_SERVERS_ROUTE_PATH,
      SIGNALING_ROUTE_PATHS.VIEWER,
      SIGNALING_ROUTE_PATHS.MASTER,
      STORAGE_SESSION_ROUTE_PATHS.VIEWER,
      STORAGE_SESSION_ROUTE_PATHS.MASTER,
    ];
    expect(Object.keys(document.paths)).toEqual(routes);
    for (const route of routes) {
      expect(Object.keys(document.paths[route] ?? {}).sort()).toEqual(['parameters', 'post']);
    }
  });

  it.each(CODES)('documents the status, body and headers of the %s answer the handler builds', (code) => {
    const answer = answerOfResult(errorResponse(new VendingError(code, 'what went wrong')));

    expect(contractViolations(answer)).toEqual([]);
  });

  it('answers a failure the handler did not expect with the documented 500', () => {
    const answer = answerOfResult(errorResponse(new TypeError('secret detail')));

    expect(answer.status).toBe(500);
    expect(contractViolations(answer)).toEqual([]);
    expect(JSON.stringify(answer.body)).not.toContain('secret detail');
  });

  it('documents only statuses the function or API Gateway can answer', () => {
    const possible = new Set([200, ...CODES.map(handlerStatus), ...API_GATEWAY_STATUSES]);

    expect(Object.keys(iceServersOperation().responses).map(Number)).toEqual(
      [...possible].sort((a, b) => a - b),
    );
  });

  it.each(CODES)('gives %s its own complete error schema, shaped like every other', (code) => {
    expect(pointee(`#/components/schemas/Error${code}`)).toEqual(errorSchema(code));
  });

  it.each(CODES)('matches the %s answer the handler builds with one alternative at most', (code) => {
    const answer = answerOfResult(errorResponse(new VendingError(code, 'what went wrong')));
    const { schema } = jsonContent(documentedResponse(answer.status) ?? {});

    expect(matchingAlternatives(schema, answer.body)).toBe(alternatives(schema).length > 0 ? 1 : 0);
  });

  it('lists exactly the error codes the handler has', () => {
    const documented = pointee('#/components/schemas/ErrorCode') as { enum: string[] };

    expect([...documented.enum].sort()).toEqual([...CODES].sort());
  });

  it('states the request body limit the handler enforces', () => {
    expect(requestBody().description).toContain(`${MAX_BODY_BYTES} bytes`);
    expect(documentedResponse(400)?.description).toContain(`${MAX_BODY_BYTES} bytes`);
  });

  it('gives the channel parameter the pattern the handler checks names against', () => {
    const schema = channelParameter().schema as { pattern?: string };

    expect(schema.pattern).toBe(CHANNEL_NAME_PATTERN.source);
  });

  it('has examples for the next test to check', () => {
    expect(allExamples().length).toBeGreaterThan(0);
  });

  it.each(allExamples())('has an example "%s" that matches its own schema', (_, schema, value) => {
    expect(schemaProblem(schema, value)).toBeUndefined();
  });

  it('has examples of responses with alternatives for the next test to check', () => {
    expect(examplesWithAlternatives().length).toBeGreaterThan(0);
  });

  it.each(examplesWithAlternatives())(
    'has an example "%s" that matches exactly one alternative',
    (_, schema, value) => {
      expect(matchingAlternatives(schema, value)).toBe(1);
    },
  );

  it('has no $ref that points nowhere', () => {
    const unresolved = references(document).filter((ref) => {
      try {
        pointee(ref);
        return false;
      } catch {
        return true;
      }
    });

    expect(unresolved).toEqual([]);
  });
});

/**
 * One value of each wire type of the contract (packages/client/src/contract.ts) with every field
 * set: `satisfies Required<…>` fails type-checking when the type gains or loses a field the sample
 * does not, so the samples' keys are the types' keys.
 */
const ICE_SERVERS_ANSWER = {
  iceServers: [
    { urls: ['stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'] },
    {
      urls: ['turns:34-219-1-2.t-4f692171.kinesisvideo.us-west-2.amazonaws.com:443?transport=udp'],
      username: '1767225600:djE6YXJuOmF3cz',
      credential: 'wJalrXUtnFEMI/K7MDENG',
    },
  ],
  ttl: 280,
  expiresAt: '2026-01-01T00:00:00.000Z',
  channelArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000',
} satisfies Required<IceServersAnswer>;
const SIGNALING_ANSWER = {
  ...ICE_SERVERS_ANSWER,
  role: 'VIEWER',
  clientId: 'u-alice.v0',
  viewerSlot: { slot: 0, of: 3 },
  region: 'us-west-2',
  mediaStorage: {
    enabled: true,
    join: { path: '/v1/channels/demo/storage-session/viewer', body: { clientId: 'u-alice.v0' } },
  },
  signaling: {
    url: 'wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com/?X-Amz-ChannelARN=x',
    expiresAt: '2025-12-31T23:59:00.000Z',
  },
} satisfies Required<SignalingAnswer>;
const ERROR_ANSWER = {
  error: { code: 'InvalidRequest', message: 'request body is not valid JSON' },
} satisfies Required<ErrorAnswer>;
const ICE_SERVERS_REQUEST = {
  role: 'MASTER',
  transports: ['udp', 'tls'],
  maxServerSets: 1,
} satisfies Required<IceServersRequestBody>;
const SIGNALING_REQUEST = { transports: ['tls'], maxServerSets: 1 } satisfies Required<SignalingRequestBody>;
const STORAGE_SESSION_ANSWER = {
  role: 'VIEWER',
  clientId: 'u-alice.v0',
  channelArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000',
  streamArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/demo/1700000000000',
} satisfies Required<StorageSessionAnswer>;
const STORAGE_SESSION_REQUEST = { clientId: 'u-alice.v0' } satisfies Required<StorageSessionRequestBody>;

/** The property names a component schema documents, sorted (`path`: a nested object's properties). */
function documentedFields(schema: string, ...path: string[]): string[] {
  let node = pointee(`#/components/schemas/${schema}`) as { properties?: Record<string, unknown> };
  for (const name of path) node = node.properties?.[name] as typeof node;
  return Object.keys(node.properties ?? {}).sort();
}
const fields = (value: object) => Object.keys(value).sort();

describe("the contract's wire types", () => {
  it.each([
    ['IceServersAnswer', 'IceServersResponse', ICE_SERVERS_ANSWER],
    ['SignalingAnswer', 'SignalingConnection', SIGNALING_ANSWER],
    ['ErrorAnswer', 'ErrorInvalidRequest', ERROR_ANSWER],
    ['IceServersRequestBody', 'IceServersRequest', ICE_SERVERS_REQUEST],
    ['SignalingRequestBody', 'SignalingRequest', SIGNALING_REQUEST],
    ['StorageSessionAnswer', 'StorageSessionResponse', STORAGE_SESSION_ANSWER],
    ['StorageSessionRequestBody', 'StorageSessionRequest', STORAGE_SESSION_REQUEST],
  ])('name in %s the fields docs/openapi.json documents in %s, of the types it says', (_, schema, sample) => {
    expect(fields(sample)).toEqual(documentedFields(schema));
    expect(schemaProblem({ $ref: `#/components/schemas/${schema}` }, sample)).toBeUndefined();
  });

  it.each([
    'stun:stun.kinesisvideo.us-west-2.api.aws:443',
    'stun:stun.kinesisvideo.cn-north-1.api.amazonwebservices.com.cn:443',
    'stuns:stun.kinesisvideo-fips.us-gov-west-1.amazonaws.com:443',
  ])('document the STUN URL of every endpoint mode (dualStack, fips): %s', (url) => {
    const answer = {
      ...ICE_SERVERS_ANSWER,
      iceServers: [{ urls: [url] }, ...ICE_SERVERS_ANSWER.iceServers.slice(1)],
    };

    expect(schemaProblem({ $ref: '#/components/schemas/IceServersResponse' }, answer)).toBeUndefined();
  });

  it("name the signaling answer's nested fields as docs/openapi.json does", () => {
    expect(fields(SIGNALING_ANSWER.signaling)).toEqual(documentedFields('SignalingConnection', 'signaling'));
    expect(fields(SIGNALING_ANSWER.viewerSlot)).toEqual(
      documentedFields('SignalingConnection', 'viewerSlot'),
    );
    expect(fields(ERROR_ANSWER.error)).toEqual(documentedFields('ErrorInvalidRequest', 'error'));
    expect(fields(SIGNALING_ANSWER.mediaStorage)).toEqual(
      documentedFields('SignalingConnection', 'mediaStorage'),
    );
    expect(fields(SIGNALING_ANSWER.mediaStorage.join)).toEqual(
      documentedFields('SignalingConnection', 'mediaStorage', 'join'),
    );
  });
});

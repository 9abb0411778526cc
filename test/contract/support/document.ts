import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ICE_SERVERS_ROUTE_PATH } from '@kvs-ice-broker/client/contract';

/** A local JSON reference (`#/components/…`). */
export interface Reference {
  readonly $ref: string;
}
export type JsonSchema = Readonly<Record<string, unknown>> | boolean;
export interface Example {
  readonly value: unknown;
}
export interface MediaType {
  readonly schema: JsonSchema;
  readonly examples?: Readonly<Record<string, Example>>;
}
export interface Header {
  readonly description?: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}
export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, Header | Reference>>;
  readonly content?: Readonly<Record<string, MediaType>>;
}
export interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly schema: JsonSchema;
}
export interface RequestBody {
  readonly description?: string;
  readonly required?: boolean;
  readonly content: Readonly<Record<string, MediaType>>;
}
export interface Operation {
  readonly requestBody?: RequestBody | Reference;
  readonly responses: Readonly<Record<string, ResponseObject | Reference>>;
}
export interface PathItem {
  readonly parameters?: readonly (Parameter | Reference)[];
  readonly post?: Operation;
}
/** The parts of an OpenAPI 3.1 document these tests read. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: Readonly<Record<string, unknown>>;
}

/** Where docs/openapi.json is on disk. */
export const DOCUMENT_PATH = join(__dirname, '..', '..', '..', 'docs', 'openapi.json');

/** docs/openapi.json as it is on disk. */
export const document: OpenApiDocument = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'));

export const isReference = (value: unknown): value is Reference =>
  typeof value === 'object' && value !== null && typeof (value as Reference).$ref === 'string';

const unescapePointer = (part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~');

/** What a JSON pointer (`#/a/b`) points at in the document; throws when nothing is there. */
export function pointee(ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  let node: unknown = document;
  for (const part of ref.slice(2).split('/').map(unescapePointer)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) {
      throw new Error(`${ref} does not resolve in docs/openapi.json`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The object itself, or the one its `$ref` (transitively) points at. */
export function resolve<T>(value: T | Reference): T {
  return isReference(value) ? resolve(pointee(value.$ref) as T | Reference) : value;
}

/** `POST /v1/channels/{channel}/ice-servers`, as documented. */
export function iceServersOperation(): Operation {
  const operation = document.paths[ICE_SERVERS_ROUTE_PATH]?.post;
  if (!operation) throw new Error(`docs/openapi.json documents no POST ${ICE_SERVERS_ROUTE_PATH}`);
  return operation;
}

/** The documented response for an HTTP status, or undefined when the document has none. */
export function documentedResponse(status: number): ResponseObject | undefined {
  const response = iceServersOperation().responses[String(status)];
  return response === undefined ? undefined : resolve(response);
}

/** The documented `{channel}` path parameter. */
export function channelParameter(): Parameter {
  const parameters = (document.paths[ICE_SERVERS_ROUTE_PATH]?.parameters ?? []).map((p) => resolve(p));
  const channel = parameters.find((p) => p.in === 'path' && p.name === 'channel');
  if (!channel) throw new Error('docs/openapi.json documents no {channel} path parameter');
  return channel;
}

/** The documented request body. */
export function requestBody(): RequestBody {
  const body = iceServersOperation().requestBody;
  if (!body) throw new Error('docs/openapi.json documents no request body');
  return resolve(body);
}

/** The JSON media type of a request body or response; throws when the document has none. */
export function jsonContent(owner: { readonly content?: Readonly<Record<string, MediaType>> }): MediaType {
  const media = owner.content?.['application/json'];
  if (!media) throw new Error('no application/json content documented');
  return media;
}

import {
  CHANNEL_ROLES,
  type ChannelRole,
  type IceServersRequestBody,
  type SignalingRequestBody,
  type StorageSessionRequestBody,
  TRANSPORTS,
} from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { invalidRequest } from '../core/errors';
import type { VendRequest } from '../core/model';
import type { SignalingRequest } from '../core/signaling';
import type { StorageSessionRequest } from '../core/storage';
import type { Caller } from './identity';

/** Largest request body accepted, in bytes. The valid bodies are a few dozen bytes. */
export const MAX_BODY_BYTES = 4096;

// zod/mini keeps the bundle small (about 20 KB instead of 450 KB); the English locale gives readable messages.
z.config(en());

const ServerFields = {
  transports: z.optional(z.array(z.enum(TRANSPORTS)).check(z.minLength(1), z.maxLength(TRANSPORTS.length))),
  maxServerSets: z.optional(z.int().check(z.minimum(1), z.maximum(16))),
};
/** The contract's {@link IceServersRequestBody}: its fields and bounds, and no other field. */
const Body: z.ZodMiniType<IceServersRequestBody> = z.strictObject({
  role: z.optional(z.enum(CHANNEL_ROLES)),
  ...ServerFields,
});
/** The contract's {@link SignalingRequestBody}: the ICE route's fields but `role`, which the path names. */
const SignalingBody: z.ZodMiniType<SignalingRequestBody> = z.strictObject(ServerFields);

/** The viewer storage-session route's {@link StorageSessionRequestBody}: its ClientId (KVS's `ClientId` shape), nothing else. */
const ViewerStorageBody = z.strictObject({ clientId: z.string().check(z.regex(/^[a-zA-Z0-9_.-]{1,256}$/)) });
/** The master storage-session route's {@link StorageSessionRequestBody}: no field. */
const MasterStorageBody = z.strictObject({});

function describe(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
    .slice(0, 500);
}

function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  const tooLarge = () => invalidRequest(`request body must be at most ${MAX_BODY_BYTES} bytes`);
  if (!event.isBase64Encoded) {
    // Counted, not copied: the text is used as it came.
    if (Buffer.byteLength(event.body, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
    return event.body;
  }
  const bytes = Buffer.from(event.body, 'base64');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  return bytes.toString('utf8');
}

/** The `{channel}` path parameter, which API Gateway has already percent-decoded (decoding twice would alias names). */
function channelName(event: APIGatewayProxyEventV2): string {
  const name = event.pathParameters?.channel;
  if (!name) throw invalidRequest('channel is missing from the path');
  return name;
}

/** The body as a JSON object (`{}` when empty), checked against `schema`; else a 400 `VendingError`. */
function parseBody<T>(event: APIGatewayProxyEventV2, schema: z.ZodMiniType<T>): T {
  const text = bodyText(event).trim();
  let json: unknown = {};
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw invalidRequest('request body is not valid JSON');
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidRequest('request body must be a JSON object');
  }
  const body = schema.safeParse(json);
  if (!body.success) throw invalidRequest(describe(body.error));
  return body.data;
}

/** Turns an API Gateway v2 event into a vending request, or throws a 400 `VendingError`. */
export function parseVendRequest(event: APIGatewayProxyEventV2, caller: Caller): VendRequest {
  const channel = channelName(event);
  const body = parseBody(event, Body);
  return {
    channel,
    role: body.role ?? 'VIEWER',
    transports: body.transports,
    maxServerSets: body.maxServerSets,
    clientId: caller.clientId,
    grantedChannels: caller.grantedChannels,
  };
}

/** Turns an event of a signaling route into a signaling request for `role`, or throws a 400 `VendingError`. */
export function parseSignalingRequest(
  event: APIGatewayProxyEventV2,
  caller: Caller,
  role: ChannelRole,
): SignalingRequest {
  const channel = channelName(event);
  const body = parseBody(event, SignalingBody);
  return {
    channel,
    role,
    transports: body.transports,
    maxServerSets: body.maxServerSets,
    clientId: caller.clientId,
    grantedChannels: caller.grantedChannels,
    masterChannels: caller.masterChannels,
    viewerPool: caller.viewerPool,
  };
}

/** Turns an event of `role`'s storage-session route into its request, or throws a 400 `VendingError`. */
export function parseStorageSessionRequest(
  event: APIGatewayProxyEventV2,
  caller: Caller,
  role: ChannelRole,
): StorageSessionRequest {
  const channel = channelName(event);
  const common = {
    channel,
    grantedChannels: caller.grantedChannels,
    masterChannels: caller.masterChannels,
    viewerPool: caller.viewerPool,
  };
  if (role === 'MASTER') {
    parseBody(event, MasterStorageBody);
    return { ...common, role };
  }
  return { ...common, role, clientId: parseBody(event, ViewerStorageBody).clientId };
}

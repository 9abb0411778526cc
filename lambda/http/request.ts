import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { invalidRequest } from '../core/errors';
import { CHANNEL_ROLES, TRANSPORTS, type VendRequest } from '../core/model';
import type { Caller } from './identity';

/** Largest request body accepted, in bytes. The valid bodies are a few dozen bytes. */
export const MAX_BODY_BYTES = 4096;

// zod/mini keeps the bundle small (about 20 KB instead of 450 KB); the English locale gives readable messages.
z.config(en());

const Body = z.strictObject({
  role: z.optional(z.enum(CHANNEL_ROLES)),
  transports: z.optional(z.array(z.enum(TRANSPORTS)).check(z.minLength(1), z.maxLength(TRANSPORTS.length))),
  maxServerSets: z.optional(z.int().check(z.minimum(1), z.maximum(16))),
});

function describe(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
    .slice(0, 500);
}

function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES)
    throw invalidRequest(`request body must be at most ${MAX_BODY_BYTES} bytes`);
  return bytes.toString('utf8');
}

/** The `{channel}` path parameter, which API Gateway has already percent-decoded (decoding twice would alias names). */
function channelName(event: APIGatewayProxyEventV2): string {
  const name = event.pathParameters?.channel;
  if (!name) throw invalidRequest('channel is missing from the path');
  return name;
}

/** Turns an API Gateway v2 event into a vending request, or throws a 400 `VendingError`. */
export function parseVendRequest(event: APIGatewayProxyEventV2, caller: Caller): VendRequest {
  const channel = channelName(event);
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
  const body = Body.safeParse(json);
  if (!body.success) throw invalidRequest(describe(body.error));
  return {
    channel,
    role: body.data.role ?? 'VIEWER',
    transports: body.data.transports,
    maxServerSets: body.data.maxServerSets,
    clientId: caller.clientId,
    grantedChannels: caller.grantedChannels,
  };
}

import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AuthMode } from '../contract';
import { VendingError } from '../core/errors';
import type { ChannelGrant } from '../core/model';

/** Who is calling, as the API Gateway authorizer of the deployment's auth mode established it. */
export interface Caller {
  /**
   * A stable, opaque id for KVS's `ClientId`/`Username` (`[a-zA-Z0-9_.-]{1,256}`): a hash of the
   * identity, so raw claims (e-mail addresses, ARNs) never leave the function. Undefined only in
   * auth mode `none`, where every caller is anonymous by the operator's choice.
   */
  readonly clientId?: string;
  /** The channels the caller may use: `'all'`, or the names its token's channels claim lists. */
  readonly grantedChannels: ChannelGrant;
}

/** What the function knows about its deployment's authentication (from the stack's environment). */
export interface AuthSettings {
  readonly mode: AuthMode;
  /** `jwt`: the claim listing the channels a caller may use; undefined when tokens do not restrict channels. */
  readonly channelsClaim?: string;
}

interface Authorizer {
  jwt?: { claims?: Record<string, unknown> };
  iam?: {
    userArn?: string | null;
    callerId?: string | null;
    cognitoIdentity?: { identityId?: string | null } | null;
  };
}

const opaqueId = (prefix: string, identity: string): string =>
  `${prefix}-${createHash('sha256').update(identity).digest('base64url').slice(0, 32)}`;

const notIdentified = (message: string): VendingError => new VendingError('CallerNotIdentified', message);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * Channel names from a claim. API Gateway passes JWT claims to the function as strings and
 * flattens arrays to `"[a b]"`; tokens also carry space- or comma-separated lists.
 */
export function claimedChannels(value: unknown): string[] {
  const items = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? [value.replace(/^\[|\]$/g, '')]
      : [];
  return items.flatMap((item) => item.split(/[\s,]+/)).filter((name) => name.length > 0);
}

/**
 * The caller of a `jwt` route: a user (`sub`, id prefix `u-`), else an OAuth client
 * (`client_id`, then `azp`, as client-credentials tokens carry it; prefix `c-`), each hashed
 * together with the issuer, so two machine clients get two ids and a user never shares one with
 * a client.
 */
function jwtCaller(claims: Record<string, unknown> | undefined, channelsClaim?: string): Caller {
  if (!claims) throw notIdentified('the request carries no token claims; the API expects a JWT');
  const issuer = text(claims.iss) ?? '';
  const subject = text(claims.sub);
  const client = text(claims.client_id) ?? text(claims.azp);
  const clientId = subject
    ? opaqueId('u', `${issuer}\n${subject}`)
    : client
      ? opaqueId('c', `${issuer}\n${client}`)
      : undefined;
  if (!clientId) {
    throw notIdentified('the token names no caller: it needs a sub, client_id or azp claim');
  }
  if (channelsClaim === undefined) return { clientId, grantedChannels: 'all' };
  if (!Object.hasOwn(claims, channelsClaim)) {
    throw new VendingError(
      'ChannelNotAllowed',
      `your token has no "${channelsClaim}" claim listing channels`,
    );
  }
  return { clientId, grantedChannels: claimedChannels(claims[channelsClaim]) };
}

/** The caller of an `iam` route: the Cognito identity, else the IAM principal's ARN or id (prefix `iam-`). */
function iamCaller(iam: Authorizer['iam']): Caller {
  const principal = text(iam?.cognitoIdentity?.identityId) ?? text(iam?.userArn) ?? text(iam?.callerId);
  if (!principal)
    throw notIdentified('the request carries no IAM caller; the API expects SigV4-signed requests');
  return { clientId: opaqueId('iam', principal), grantedChannels: 'all' };
}

/**
 * The caller behind the event, as the deployment's auth mode guarantees it. Fails closed: a
 * request without the identity its mode relies on (a route misrouted or misconfigured in front
 * of the function, a token with no subject or client) throws 403 `CallerNotIdentified`, and with
 * a channels claim configured, a token without that claim throws 403 `ChannelNotAllowed`.
 */
export function callerOf(event: APIGatewayProxyEventV2, auth: AuthSettings): Caller {
  const authorizer = (event.requestContext as { authorizer?: Authorizer } | undefined)?.authorizer;
  switch (auth.mode) {
    case 'jwt':
      return jwtCaller(authorizer?.jwt?.claims, auth.channelsClaim);
    case 'iam':
      return iamCaller(authorizer?.iam);
    case 'none':
      return { grantedChannels: 'all' };
  }
}

import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LRUCache } from 'lru-cache';
import type { AuthMode } from '../contract';
import { VendingError } from '../core/errors';
import type { ChannelGrant } from '../core/model';
import { growingBound } from '../core/refreshing-cache';
import { bearerTokenPayload, claimedChannels, claimsDiffering, type IgnoredClaimElement } from './claims';

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
  /**
   * The channels the caller may master (signaling routes): `'all'` in auth mode `iam` (IAM
   * grants the master route per channel), the names the token's master channels claim lists in
   * `jwt` (none without the claim), none in `none`.
   */
  readonly masterChannels: ChannelGrant;
  /**
   * The token's `sub` claim (`jwt` mode), for the operator's list of blocked subjects only: it is
   * never logged, sent to KVS or answered.
   */
  readonly subject?: string;
  /**
   * Elements of the token's channels or master channels claim that granted nothing (an object,
   * a nested array, a number, a string that is not one channel name, …), for the log; never values.
   */
  readonly ignoredClaimElements?: readonly IgnoredClaimElement[];
  /**
   * Whose viewer ClientIds the caller's signaling connections share (context
   * `viewerSlotsPerCaller`): its `clientId`, or in auth mode `none` a hash of the request's source
   * IP (the only trace of an anonymous caller). Undefined when there is neither; the viewer route
   * then refuses the request.
   */
  readonly viewerPool?: string;
}

/** What the function knows about its deployment's authentication (from the stack's environment). */
export interface AuthSettings {
  readonly mode: AuthMode;
  /** `jwt`: the claim listing the channels a caller may use; undefined when tokens do not restrict channels. */
  readonly channelsClaim?: string;
  /** `jwt`: the claim listing the channels a caller may master; undefined grants no master role. */
  readonly masterChannelsClaim?: string;
}

interface Authorizer {
  jwt?: { claims?: Record<string, unknown> };
  iam?: {
    userArn?: string | null;
    callerId?: string | null;
    cognitoIdentity?: { identityId?: string | null } | null;
  };
}

/** Opaque ids of recent identities: a caller's every request hashes the same identity again. */
const OPAQUE_IDS = new LRUCache<string, string>(growingBound(1000));

function opaqueId(prefix: string, identity: string): string {
  const key = `${prefix}\n${identity}`;
  let id = OPAQUE_IDS.get(key);
  if (id === undefined) {
    id = `${prefix}-${createHash('sha256').update(identity).digest('base64url').slice(0, 32)}`;
    OPAQUE_IDS.set(key, id);
  }
  return id;
}

const notIdentified = (message: string): VendingError => new VendingError('CallerNotIdentified', message);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * The caller of a `jwt` route: a user (`sub`, id prefix `u-`), else an OAuth client
 * (`client_id`, then `azp`, as client-credentials tokens carry it; prefix `c-`), each hashed
 * together with the issuer, so two machine clients get two ids and a user never shares one with
 * a client.
 */
function jwtCaller(
  event: APIGatewayProxyEventV2,
  claims: Record<string, unknown> | undefined,
  auth: AuthSettings,
): Caller {
  const { channelsClaim, masterChannelsClaim } = auth;
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
  const who = { clientId, viewerPool: clientId, ...(subject !== undefined ? { subject } : {}) };
  const listClaims = [channelsClaim, masterChannelsClaim].filter((name) => name !== undefined);
  if (listClaims.length === 0) return { ...who, grantedChannels: 'all', masterChannels: [] };
  const token = verifiedToken(event, claims, listClaims);
  const ignored: IgnoredClaimElement[] = [];
  const read = (claim: string) => {
    const { channels, ignored: notGranting } = claimedChannels(claim, token[claim]);
    ignored.push(...notGranting);
    return channels;
  };
  // Mastering is granted only by its own claim: a token without it masters nothing.
  const masterChannels =
    masterChannelsClaim !== undefined && Object.hasOwn(token, masterChannelsClaim)
      ? read(masterChannelsClaim)
      : [];
  let grantedChannels: ChannelGrant = 'all';
  if (channelsClaim !== undefined) {
    if (!Object.hasOwn(token, channelsClaim) || token[channelsClaim] === null) {
      throw new VendingError(
        'ChannelNotAllowed',
        `your token has no "${channelsClaim}" claim listing channels`,
      );
    }
    grantedChannels = read(channelsClaim);
  }
  return {
    ...who,
    grantedChannels,
    masterChannels,
    ...(ignored.length > 0 ? { ignoredClaimElements: ignored } : {}),
  };
}

/** Claims every token check compares besides the list claims: who the caller is. */
const IDENTITY_CLAIMS = ['iss', 'sub', 'client_id', 'azp'];

/**
 * The payload of the request's bearer token, once it is shown to be the token the authorizer
 * verified: its identity claims and `listClaims`, flattened as API Gateway flattens them, equal
 * the authorizer's. Throws 403 `CallerNotIdentified` otherwise (no token, or another one).
 */
function verifiedToken(
  event: APIGatewayProxyEventV2,
  claims: Record<string, unknown>,
  listClaims: readonly string[],
): Record<string, unknown> {
  const payload = bearerTokenPayload(event);
  if (!payload) {
    throw notIdentified(
      'the request carries no bearer token in its Authorization header; the API reads channel claims from it',
    );
  }
  if (claimsDiffering(payload, claims, [...IDENTITY_CLAIMS, ...listClaims]).length > 0) {
    throw notIdentified('the bearer token is not the one the authorizer verified');
  }
  return payload;
}

/** The caller of an `iam` route: the Cognito identity, else the IAM principal's ARN or id (prefix `iam-`). */
function iamCaller(iam: Authorizer['iam']): Caller {
  const principal = text(iam?.cognitoIdentity?.identityId) ?? text(iam?.userArn) ?? text(iam?.callerId);
  if (!principal)
    throw notIdentified('the request carries no IAM caller; the API expects SigV4-signed requests');
  const clientId = opaqueId('iam', principal);
  return { clientId, viewerPool: clientId, grantedChannels: 'all', masterChannels: 'all' };
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
      return jwtCaller(event, authorizer?.jwt?.claims, auth);
    case 'iam':
      return iamCaller(authorizer?.iam);
    case 'none': {
      const sourceIp = text(event.requestContext?.http?.sourceIp);
      return {
        grantedChannels: 'all',
        masterChannels: [],
        ...(sourceIp !== undefined ? { viewerPool: opaqueId('anonymous', sourceIp) } : {}),
      };
    }
  }
}

import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Who is calling, as the API Gateway authorizer established it. */
export interface Caller {
  /**
   * A stable, opaque id for KVS's `ClientId`/`Username` (`[a-zA-Z0-9_.-]{1,256}`): a hash of the
   * identity, so raw claims (e-mail addresses, ARNs) never leave the function.
   */
  readonly clientId: string;
  /** Channel names the caller's token grants, when a channels claim is configured. */
  readonly channels?: readonly string[];
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

/** The caller behind the event, or undefined for unauthenticated APIs. */
export function callerOf(event: APIGatewayProxyEventV2, channelsClaim?: string): Caller | undefined {
  const authorizer = (event.requestContext as { authorizer?: Authorizer }).authorizer;
  const claims = authorizer?.jwt?.claims;
  if (claims && typeof claims.sub === 'string') {
    return {
      clientId: opaqueId('u', `${String(claims.iss ?? '')}\n${claims.sub}`),
      channels: channelsClaim === undefined ? undefined : claimedChannels(claims[channelsClaim]),
    };
  }
  const iam = authorizer?.iam;
  const principal = iam?.cognitoIdentity?.identityId ?? iam?.userArn ?? iam?.callerId;
  return principal ? { clientId: opaqueId('iam', principal) } : undefined;
}

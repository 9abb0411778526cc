/**
 * How callers of the ice-servers route authenticate, and the syntax rules of its settings,
 * shared by the context parser (errors name the context key) and the construct (errors name the prop).
 */
import { Token } from 'aws-cdk-lib';

/**
 * Callers present a JWT from any OpenID Connect issuer (Amazon Cognito user pools, Auth0,
 * Okta, Keycloak, ...); API Gateway checks its signature, issuer, audience, expiry and scopes.
 */
export interface JwtAuth {
  readonly mode: 'jwt';

  /**
   * The issuer URL, exactly as in the tokens' `iss` claim (an `https://` URL). API Gateway
   * fetches the signing keys from its OpenID Connect discovery document.
   */
  readonly issuer: string;

  /**
   * Accepted audiences: a token's `aud` (or Cognito access tokens' `client_id`) must match one.
   * At least one.
   */
  readonly audience: readonly string[];

  /**
   * OAuth scopes of which a token must carry at least one (the route's authorization scopes).
   *
   * @default - no scope is required
   */
  readonly scopes?: readonly string[];

  /**
   * Name of a token claim that lists the channels the caller may use; the function refuses
   * other channels with 403 `ChannelNotAllowed`.
   *
   * @default - every authenticated caller may use every served channel
   */
  readonly channelsClaim?: string;
}

/**
 * Callers sign requests with AWS SigV4 (`AWS_IAM`) and need `execute-api:Invoke` on the route
 * of each channel they use, for example through a Cognito identity pool role. The mode that
 * works in the China Regions without an ICP licence.
 */
export interface IamAuth {
  readonly mode: 'iam';
}

/** Anyone may call the API. For demos only; synthesis warns about it. */
export interface NoAuth {
  readonly mode: 'none';

  /** The explicit acknowledgement that the API is open to anyone on the internet. */
  readonly allowUnauthenticated: true;
}

/** How callers of the ice-servers route authenticate. */
export type IceBrokerAuth = JwtAuth | IamAuth | NoAuth;

export type AuthMode = IceBrokerAuth['mode'];

export const AUTH_MODES: readonly AuthMode[] = ['jwt', 'iam', 'none'];

/** The cdk-nag reason, and the synth warning's gist, for an API without authentication. */
export const NO_AUTH_REASON =
  'auth=none acknowledged by the operator with -c allowUnauthenticated=true; for demos only';

/** OAuth 2.0 scope-token characters (RFC 6749 section 3.3). */
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Printable ASCII without spaces: claim names such as `channels`, `custom:channels` or a URL. */
const CLAIM_NAME_PATTERN = /^[\x21-\x7E]{1,256}$/;

/** Why `issuer` cannot be a JWT issuer, or `undefined` when it can (or resolves at deploy time). */
export function issuerProblem(issuer: string): string | undefined {
  if (Token.isUnresolved(issuer)) return undefined;
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '') {
    return `"${issuer}" is not an https:// URL`;
  }
  if (url.search !== '' || url.hash !== '') return `"${issuer}" must not have a query or fragment`;
  return undefined;
}

/** Why `audience` cannot be the accepted audiences, or `undefined` when it can. */
export function audienceProblem(audience: readonly string[]): string | undefined {
  if (audience.length === 0) return 'at least one audience is required';
  return audience.some((entry) => !Token.isUnresolved(entry) && entry.trim() === '')
    ? 'an audience must not be empty'
    : undefined;
}

/** Why `scope` cannot be an OAuth scope, or `undefined` when it can. */
export function scopeProblem(scope: string): string | undefined {
  return SCOPE_PATTERN.test(scope)
    ? undefined
    : `"${scope}" is not an OAuth scope (printable ASCII without spaces, quotes or backslashes)`;
}

/** Why `name` cannot be a claim name, or `undefined` when it can. */
export function claimNameProblem(name: string): string | undefined {
  return CLAIM_NAME_PATTERN.test(name)
    ? undefined
    : `"${name}" is not a claim name (1-256 printable ASCII characters without spaces)`;
}

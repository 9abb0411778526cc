import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { apiGatewayClaims } from '../../lambda/http/claims';
import { verifyJwt } from './jwt-verifier';
import type { Authorizer, AuthorizerDecision } from './server';

/** A route's JWT authorizer, as `-c auth=jwt` configures it for a deployment. */
export interface JwtAuthorizerConfig {
  /** `iss` a token must carry (the issuer URL). */
  readonly issuer: string;
  /** Accepted `aud` (or `client_id`) values. */
  readonly audience: readonly string[];
  /** A token must carry at least one of these scopes; empty or absent: no scope check. */
  readonly scopes?: readonly string[];
  /** The issuer's public keys (see `issuerKeys`). */
  readonly keys: JWTVerifyGetKey;
}

/** The OAuth scopes a token carries: the space-separated `scope` claim, or `scp` (a string or a list). */
export function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const items = Array.isArray(raw) ? raw.filter((item) => typeof item === 'string') : [raw];
  return items.flatMap((item) => (typeof item === 'string' ? item.split(' ') : [])).filter(Boolean);
}

const quoted = (text: string) => `"${text.replace(/["\\]/g, '')}"`;

const unauthorized = (challenge: string): AuthorizerDecision => ({
  reject: { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': challenge } },
});

/** The token of an `Authorization` header: the bare token or `Bearer <token>`, as API Gateway takes it. */
function bearerToken(header: string | undefined): string | undefined {
  const token = header?.trim().replace(/^Bearer\s+/i, '');
  return token ? token : undefined;
}

/**
 * The JWT authorizer of the local API: 401 for a missing or invalid token, 403 when the route's
 * scopes are not granted; otherwise the function sees `authorizer.jwt = { claims, scopes }`.
 */
export function jwtAuthorizer(config: JwtAuthorizerConfig): Authorizer {
  const required = config.scopes ?? [];
  return async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return unauthorized('Bearer');
    const result = await verifyJwt(token, config);
    if (!result.ok) {
      return unauthorized(`Bearer error="invalid_token", error_description=${quoted(result.reason)}`);
    }
    const granted = tokenScopes(result.payload);
    if (required.length > 0 && !required.some((scope) => granted.includes(scope))) {
      const challenge =
        'Bearer error="insufficient_scope", ' +
        `error_description="the token has none of the required scopes", scope=${quoted(required.join(' '))}`;
      return { reject: { status: 403, message: 'Forbidden', headers: { 'www-authenticate': challenge } } };
    }
    const scopes = required.length > 0 ? granted : null;
    return { authorizer: { jwt: { claims: apiGatewayClaims(result.payload), scopes } } };
  };
}

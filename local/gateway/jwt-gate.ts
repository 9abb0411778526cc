import type { JWTVerifyGetKey } from 'jose';
import { apiGatewayClaims, tokenScopes } from './claims';
import type { Gate, GateDecision } from './gate';
import { verifyJwt } from './jwt-verifier';

export interface JwtGateConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** A token must carry at least one of these scopes; empty or absent: no scope check. */
  readonly scopes?: readonly string[];
  readonly keys: JWTVerifyGetKey;
}

const quoted = (text: string) => `"${text.replace(/["\\]/g, '')}"`;

const unauthorized = (challenge: string): GateDecision => ({
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
export function jwtGate(config: JwtGateConfig): Gate {
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

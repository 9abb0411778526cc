import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { verifyJwt } from './jwt-verifier';
import type { Gate, GateDecision } from './server';

/** A route's JWT authorizer, as `-c auth=jwt` configures it for a deployment. */
export interface JwtGateConfig {
  /** `iss` a token must carry (the issuer URL). */
  readonly issuer: string;
  /** Accepted `aud` (or `client_id`) values. */
  readonly audience: readonly string[];
  /** A token must carry at least one of these scopes; empty or absent: no scope check. */
  readonly scopes?: readonly string[];
  /** The issuer's public keys (see `issuerKeys`). */
  readonly keys: JWTVerifyGetKey;
}

/**
 * One claim value as API Gateway's JWT authorizer hands it to the function: strings as they are,
 * numbers and booleans as text, arrays flattened to `"[a b c]"` and objects to `"map[k:v]"`
 * (Go's formatting, which API Gateway uses).
 */
function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([key, item]) => `${key}:${claimText(item)}`).join(' ')}]`;
  }
  return '<nil>';
}

/** Every claim of a verified token, each value a string, as in `requestContext.authorizer.jwt.claims`. */
export function apiGatewayClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimText(value)]));
}

/** The OAuth scopes a token carries: the space-separated `scope` claim, or `scp` (a string or a list). */
export function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const items = Array.isArray(raw) ? raw.filter((item) => typeof item === 'string') : [raw];
  return items.flatMap((item) => (typeof item === 'string' ? item.split(' ') : [])).filter(Boolean);
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

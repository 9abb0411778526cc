import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { IssuerKeysUnavailable } from './issuer-keys';

/**
 * Signing algorithms accepted: HTTP API JWT authorizers check "only RSA-based algorithms" (API
 * Gateway developer guide, "Control access to HTTP APIs with JWT authorizers"); `none`, HMAC and
 * ECDSA never pass.
 */
const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/** What a token must satisfy: a route's JWT authorizer configuration, and the clock to check it by. */
export interface JwtRules {
  /** `iss` must equal this. */
  readonly issuer: string;
  /** `aud` (or, when a token has no `aud`, `client_id`) must contain one of these. */
  readonly audience: readonly string[];
  /** The issuer's public keys. */
  readonly keys: JWTVerifyGetKey;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** A verified token's claims, or why it was refused (safe to show: it never quotes the token). */
export type JwtVerification = { ok: true; payload: JWTPayload } | { ok: false; reason: string };

const refuse = (reason: string): JwtVerification => ({ ok: false, reason });

function reasonOf(error: unknown): string {
  if (error instanceof IssuerKeysUnavailable) return "the issuer's signing keys are unavailable";
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'iss') return 'the token has another issuer';
    if (error.reason === 'missing') return `the token has no ${error.claim} claim`;
    return `the token's ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the signing algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token's kid";
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return "several keys of the issuer match the token's kid";
  if (error instanceof errors.JOSEError) return 'the token is malformed';
  throw error;
}

function headerProblem(token: string): string | undefined {
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg !== 'string' || !JWT_ALGORITHMS.includes(header.alg)) {
      return 'the signing algorithm is not allowed';
    }
    return typeof header.kid === 'string' ? undefined : 'the token has no kid';
  } catch {
    return 'the token is malformed';
  }
}

function audienceMatches(payload: JWTPayload, audience: readonly string[]): boolean {
  const raw = payload.aud ?? payload.client_id;
  const values = Array.isArray(raw) ? raw : [raw];
  return values.some((value) => typeof value === 'string' && audience.includes(value));
}

/**
 * Verifies a JWT as API Gateway's JWT authorizer does: RS256/RS384/RS512 signature by a key of the
 * issuer with the token's `kid`, `iss`, `exp` (required, in the future), `nbf` and `iat` (not in
 * the future), then `aud` or `client_id`.
 */
export async function verifyJwt(token: string, rules: JwtRules): Promise<JwtVerification> {
  const problem = headerProblem(token);
  if (problem) return refuse(problem);
  const now = rules.now?.() ?? Date.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, rules.keys, {
      algorithms: JWT_ALGORITHMS,
      issuer: rules.issuer,
      requiredClaims: ['exp'],
      currentDate: new Date(now),
    }));
  } catch (error) {
    return refuse(reasonOf(error));
  }
  if (typeof payload.iat === 'number' && payload.iat > now / 1000)
    return refuse('the token is issued in the future');
  if (!audienceMatches(payload, rules.audience)) return refuse('the token is for another audience');
  return { ok: true, payload };
}

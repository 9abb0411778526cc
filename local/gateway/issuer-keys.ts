import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

const FETCH_TIMEOUT_MS = 5_000;

/** The issuer's signing keys could not be found: discovery or the key set failed. */
export class IssuerKeysUnavailable extends Error {
  override readonly name = 'IssuerKeysUnavailable';
}

/** `{issuer}/.well-known/openid-configuration`, with or without a trailing slash on the issuer. */
function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchJwksUri(issuer: string): Promise<URL> {
  const url = discoveryUrl(issuer);
  let document: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = await response.json();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new IssuerKeysUnavailable(`could not read ${url}: ${detail}`);
  }
  const jwksUri = (document as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
    throw new IssuerKeysUnavailable(`${url} names no jwks_uri`);
  }
  return new URL(jwksUri);
}

/**
 * The issuer's public keys, found the way API Gateway finds them: the OIDC discovery document
 * names the `jwks_uri`, whose key set is cached and fetched again for an unknown `kid`.
 * A failed discovery is retried by the next request.
 */
export function issuerKeys(issuer: string): JWTVerifyGetKey {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  return async (header, token) => {
    keySet ??= fetchJwksUri(issuer).then((uri) =>
      createRemoteJWKSet(uri, { timeoutDuration: FETCH_TIMEOUT_MS }),
    );
    const current = keySet;
    const resolve = await current.catch((error: unknown) => {
      if (keySet === current) keySet = undefined;
      throw error;
    });
    try {
      return await resolve(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new IssuerKeysUnavailable(`could not read the key set of ${issuer}: ${detail}`);
    }
  };
}

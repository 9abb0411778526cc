import { createServer } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { closeServer, listen } from '../../../../local/http-server';

/**
 * An OpenID Connect issuer under the test's control: it publishes one RS256 key and signs
 * whatever it is told to, so tests can forge tokens that are wrong in exactly one way.
 */
export interface TestIssuer {
  readonly url: string;
  readonly kid: string;
  /** Claims of a token that the API accepts: this issuer, `audience`, valid for an hour. */
  validClaims(audience: string): JWTPayload;
  /** Signs with the published key, or with `key` (same kid) when given. */
  sign(claims: JWTPayload, options?: { key?: CryptoKey | Uint8Array; alg?: string }): Promise<string>;
  /** An `alg: none` token with the published kid. */
  unsigned(claims: JWTPayload): string;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'test-key-1';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const server = createServer();
  const url = `http://127.0.0.1:${await listen(server, 0)}`;
  const documents = new Map<string | undefined, unknown>([
    ['/.well-known/openid-configuration', { issuer: url, jwks_uri: `${url}/.well-known/jwks.json` }],
    ['/.well-known/jwks.json', jwks],
  ]);
  server.on('request', (req, res) => {
    const body = documents.get(req.url);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  return {
    url,
    kid,
    validClaims: (audience) => {
      const now = Math.floor(Date.now() / 1000);
      return { iss: url, aud: audience, sub: 'tester', iat: now, exp: now + 3600 };
    },
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid, typ: 'JWT' })
        .sign(options.key ?? privateKey),
    unsigned: (claims) => {
      const [, payload = '', signature = ''] = new UnsecuredJWT(claims).encode().split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', kid, typ: 'JWT' })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    close: () => closeServer(server),
  };
}

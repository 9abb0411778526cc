import { randomBytes } from 'node:crypto';
import { generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { bearer, postIceServers, startAuthStack } from './support/stack';
import { startTestIssuer, type TestIssuer } from './support/test-issuer';

const AUDIENCE = 'kvs-ice-broker-test';

describe('auth=jwt rejects tokens API Gateway would reject', () => {
  let issuer: TestIssuer;
  let stack: LocalStack;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    stack = await startAuthStack({ auth: { mode: 'jwt', issuer: issuer.url, audience: [AUDIENCE] } });
  });
  afterAll(async () => {
    await stack?.close();
    await issuer?.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const valid = (): JWTPayload => issuer.validClaims(AUDIENCE);

  it('serves a caller whose token comes from the configured issuer for the configured audience', async () => {
    const token = await issuer.sign(valid());

    const response = await postIceServers(stack, 'demo', bearer(token));

    expect(response.status).toBe(200);
  });

  it('serves a caller whose token names the audience in client_id instead of aud (Cognito access tokens)', async () => {
    const { aud: _aud, ...claims } = valid();
    const token = await issuer.sign({ ...claims, client_id: AUDIENCE });

    const response = await postIceServers(stack, 'demo', bearer(token));

    expect(response.status).toBe(200);
  });

  it('answers 401 Unauthorized with a Bearer challenge when the request has no token', async () => {
    const response = await postIceServers(stack, 'demo');

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  const forged: { case: string; reason: RegExp; token: () => Promise<string> }[] = [
    {
      case: 'an expired token',
      reason: /expired/,
      token: () => issuer.sign({ ...valid(), exp: now() - 60 }),
    },
    {
      case: 'a token that is not valid yet (nbf in the future)',
      reason: /not valid yet/,
      token: () => issuer.sign({ ...valid(), nbf: now() + 600 }),
    },
    {
      case: 'a token without exp',
      reason: /no exp claim/,
      token: () => issuer.sign({ ...valid(), exp: undefined }),
    },
    {
      case: 'a token from another issuer',
      reason: /another issuer/,
      token: () => issuer.sign({ ...valid(), iss: 'https://issuer.example.com' }),
    },
    {
      case: 'a token for another audience',
      reason: /another audience/,
      token: () => issuer.sign({ ...valid(), aud: 'some-other-api' }),
    },
    {
      case: 'a token signed by another key under the same kid',
      reason: /signature is invalid/,
      token: async () => issuer.sign(valid(), { key: (await generateKeyPair('RS256')).privateKey }),
    },
    { case: 'an alg: none token', reason: /algorithm/, token: async () => issuer.unsigned(valid()) },
    {
      case: 'an HS256 token',
      reason: /algorithm/,
      token: () => issuer.sign(valid(), { alg: 'HS256', key: randomBytes(32) }),
    },
    {
      // HTTP API JWT authorizers check "only RSA-based algorithms" (API Gateway developer guide).
      case: 'an ES256 token',
      reason: /algorithm/,
      token: async () =>
        issuer.sign(valid(), { alg: 'ES256', key: (await generateKeyPair('ES256')).privateKey }),
    },
    { case: 'a string that is not a JWT', reason: /malformed/, token: async () => 'not-a-jwt' },
  ];

  it.each(forged)('rejects $case with 401 invalid_token', async ({ reason, token }) => {
    const response = await postIceServers(stack, 'demo', bearer(await token()));

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toMatch(reason);
  });
});

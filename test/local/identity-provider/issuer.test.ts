import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalIssuer, startLocalIssuer } from '../../../local/identity-provider/issuer';

describe('the local OIDC issuer', () => {
  let issuer: LocalIssuer;

  beforeAll(async () => {
    issuer = await startLocalIssuer({ audience: 'kvs-ice-broker-local', channelsClaim: 'custom:channels' });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  const postTokens = (
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(`${issuer.url}/_local/tokens`, { method: 'POST', headers, body: JSON.stringify(body) });

  it('publishes a discovery document that names itself and its key set', async () => {
    const discovery = await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json();

    expect(discovery).toMatchObject({ issuer: issuer.url, jwks_uri: `${issuer.url}/.well-known/jwks.json` });
  });

  it('mints, on POST /_local/tokens, an RS256 token that its published key verifies', async () => {
    const jwks = await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json();

    const { token } = await (
      await postTokens({ sub: 'alice', channels: ['demo'], scope: 'ice:vend' })
    ).json();

    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: issuer.url,
      audience: 'kvs-ice-broker-local',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: 'alice', 'custom:channels': ['demo'], scope: 'ice:vend' });
  });

  it('mints tokens valid for one hour unless told otherwise', async () => {
    const token = await issuer.mint({ sub: 'alice' });

    const [, payload = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims).not.toHaveProperty('custom:channels');
  });

  it('answers 400 naming the field for an invalid mint request', async () => {
    const response = await postTokens({ sub: 'alice', expiresInSeconds: 'soon' });

    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/^expiresInSeconds: /);
  });

  it('refuses to mint for a request that is not JSON, as a web page would send it', async () => {
    const response = await postTokens({ sub: 'alice' }, { 'content-type': 'text/plain' });

    expect(response.status).toBe(403);
  });
});

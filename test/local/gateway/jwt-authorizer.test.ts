import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerKeys } from '../../../local/gateway/issuer-keys';
import { jwtAuthorizer } from '../../../local/gateway/jwt-authorizer';
import type { AuthorizerDecision } from '../../../local/gateway/server';
import { type LocalIssuer, startLocalIssuer } from '../../../local/identity-provider/issuer';

const AUDIENCE = 'kvs-ice-broker-local';

const requestWith = (authorization: string) => ({ headers: { authorization } }) as IncomingMessage;

describe('the JWT authorizer hands the function what API Gateway hands it', () => {
  let issuer: LocalIssuer;

  beforeAll(async () => {
    issuer = await startLocalIssuer({ audience: AUDIENCE });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  const authorizer = (scopes?: string[]) =>
    jwtAuthorizer({ issuer: issuer.url, audience: [AUDIENCE], scopes, keys: issuerKeys(issuer.url) });
  const authorizerOf = (decision: AuthorizerDecision) =>
    'authorizer' in decision ? decision.authorizer : decision;

  it('passes every claim as a string, with scopes null when the route requires none', async () => {
    const token = await issuer.mint({ sub: 'alice', channels: ['demo', 'lobby'], scope: 'ice:vend' });

    const decision = await authorizer()(requestWith(`Bearer ${token}`), Buffer.alloc(0));

    expect(authorizerOf(decision)).toEqual({
      jwt: {
        claims: expect.objectContaining({
          sub: 'alice',
          iss: issuer.url,
          aud: AUDIENCE,
          channels: '[demo lobby]',
          scope: 'ice:vend',
          exp: expect.stringMatching(/^\d+$/),
          iat: expect.stringMatching(/^\d+$/),
        }),
        scopes: null,
      },
    });
  });

  it("lists the token's scopes when the route requires scopes", async () => {
    const token = await issuer.mint({ sub: 'alice', scope: 'ice:vend profile' });

    const decision = await authorizer(['ice:vend'])(requestWith(`Bearer ${token}`), Buffer.alloc(0));

    expect(authorizerOf(decision)).toMatchObject({ jwt: { scopes: ['ice:vend', 'profile'] } });
  });

  it('accepts a token that carries any one of the required scopes', async () => {
    const token = await issuer.mint({ sub: 'alice', scope: 'ice:admin' });

    const decision = await authorizer(['ice:vend', 'ice:admin'])(
      requestWith(`Bearer ${token}`),
      Buffer.alloc(0),
    );

    expect(decision).toHaveProperty('authorizer');
  });

  it('accepts the bare token without the Bearer prefix', async () => {
    const token = await issuer.mint({ sub: 'alice' });

    const decision = await authorizer()(requestWith(token), Buffer.alloc(0));

    expect(decision).toHaveProperty('authorizer');
  });
});

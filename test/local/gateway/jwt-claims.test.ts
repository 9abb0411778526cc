import { describe, expect, it } from 'vitest';
import { apiGatewayClaims } from '../../../lambda/http/claims';
import { tokenScopes } from '../../../local/gateway/jwt-authorizer';

describe('JWT claims as API Gateway passes them to the function', () => {
  it('keeps string claims as they are', () => {
    const claims = apiGatewayClaims({ sub: 'alice', iss: 'https://issuer.example.com' });

    expect(claims).toEqual({ sub: 'alice', iss: 'https://issuer.example.com' });
  });

  it('turns numbers and booleans into their text', () => {
    const claims = apiGatewayClaims({ exp: 1795522912, email_verified: true });

    expect(claims).toEqual({ exp: '1795522912', email_verified: 'true' });
  });

  it('flattens arrays to the space-separated bracket form', () => {
    const claims = apiGatewayClaims({ channels: ['demo', 'lobby'], 'cognito:groups': ['admins'] });

    expect(claims).toEqual({ channels: '[demo lobby]', 'cognito:groups': '[admins]' });
  });

  it('flattens nested arrays and objects inside arrays the same way, null elements as <nil>', () => {
    const claims = apiGatewayClaims({ channels: [['a', 'b'], { k: 'x y' }, null, 7, false] });

    expect(claims).toEqual({ channels: '[[a b] map[k:x y] <nil> 7 false]' });
  });

  it('leaves out a claim whose value is null', () => {
    expect(apiGatewayClaims({ sub: 'alice', channels: null })).toEqual({ sub: 'alice' });
  });

  it('flattens objects to the map form with sorted keys', () => {
    const claims = apiGatewayClaims({ address: { region: 'x', country: 'y' } });

    expect(claims).toEqual({ address: 'map[country:y region:x]' });
  });
});

describe('scopes of a token', () => {
  it('splits the space-separated scope claim', () => {
    expect(tokenScopes({ scope: 'ice:vend profile' })).toEqual(['ice:vend', 'profile']);
  });

  it('reads an scp list when there is no scope claim', () => {
    expect(tokenScopes({ scp: ['ice:vend', 'profile'] })).toEqual(['ice:vend', 'profile']);
  });

  it('finds none in a token without scope or scp', () => {
    expect(tokenScopes({ sub: 'alice' })).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { readLocalAuthContext } from '../../local/auth/context';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('auth context keys in the local runner', () => {
  it('runs without authentication when auth is not given', () => {
    expect(readLocalAuthContext(reader({}))).toEqual({ auth: { mode: 'none' } });
  });

  it('starts jwt with the local issuer and default audience when only auth=jwt is given', () => {
    expect(readLocalAuthContext(reader({ auth: 'jwt' }))).toEqual({ auth: { mode: 'jwt' } });
  });

  it('reads the jwt companions as a deployment does', () => {
    const context = readLocalAuthContext(
      reader({
        auth: 'jwt',
        jwtIssuer: 'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc',
        jwtAudience: 'app1, app2',
        jwtScopes: 'ice:vend',
        channelsClaim: 'custom:channels',
      }),
    );

    expect(context.auth).toEqual({
      mode: 'jwt',
      issuer: 'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc',
      audience: ['app1', 'app2'],
      scopes: ['ice:vend'],
      channelsClaim: 'custom:channels',
    });
  });

  it('accepts an http:// issuer on loopback, such as a local identity provider', () => {
    const context = readLocalAuthContext(
      reader({ auth: 'jwt', jwtIssuer: 'http://localhost:8081/realms/dev' }),
    );

    expect(context.auth).toMatchObject({ issuer: 'http://localhost:8081/realms/dev' });
  });

  it('refuses an http:// issuer elsewhere, naming jwtIssuer', () => {
    expect(() => readLocalAuthContext(reader({ auth: 'jwt', jwtIssuer: 'http://idp.example.com' }))).toThrow(
      /"jwtIssuer"/,
    );
  });

  it('refuses an unknown mode, naming auth', () => {
    expect(() => readLocalAuthContext(reader({ auth: 'cognito' }))).toThrow(/"auth".*jwt, iam or none/);
  });

  it('refuses jwt companions in another mode, naming the key', () => {
    expect(() => readLocalAuthContext(reader({ auth: 'iam', channelsClaim: 'channels' }))).toThrow(
      /"channelsClaim".*auth=jwt/,
    );
  });

  it('reads the allowed CORS origins', () => {
    const context = readLocalAuthContext(
      reader({ corsAllowOrigins: 'http://localhost:3000,https://app.example.com' }),
    );

    expect(context.corsAllowOrigins).toEqual(['http://localhost:3000', 'https://app.example.com']);
  });

  it('refuses a CORS origin with a path, naming corsAllowOrigins', () => {
    expect(() => readLocalAuthContext(reader({ corsAllowOrigins: 'http://localhost:3000/app' }))).toThrow(
      /"corsAllowOrigins"/,
    );
  });
});

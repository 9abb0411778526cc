import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  type Context,
  removeCloudAssemblies,
  type Synthesized,
  synthesize,
} from '../support/synth';

const JWT: Context = { auth: 'jwt', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'ice-app' };

describe('CORS', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ ...JWT, corsAllowOrigins: 'https://app.example.com, http://localhost:5173' });
  });

  it('answers preflight requests from the configured origins for POST with a token or a SigV4 signature', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com', 'http://localhost:5173'],
        AllowMethods: ['POST', 'OPTIONS'],
        AllowHeaders: [
          'authorization',
          'content-type',
          'x-amz-date',
          'x-amz-security-token',
          'x-amz-content-sha256',
        ],
        MaxAge: 3600,
      },
    });
  });

  it('lets browser code read Retry-After on 429 and 503 responses', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ ExposeHeaders: ['retry-after'] }),
    });
  });

  it('adds no route for preflight requests, which API Gateway answers before any authorizer', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
  });

  it('configures no CORS when corsAllowOrigins is not set', () => {
    const sameOrigin = synthesize({});

    sameOrigin.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.absent(),
    });
  });

  it('allows any origin for an API without authentication', () => {
    const open = synthesize({ auth: 'none', allowUnauthenticated: 'true', corsAllowOrigins: '*' });

    open.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'] }),
    });
  });

  it.each<[string, Context]>([
    ['jwt', JWT],
    ['iam', { auth: 'iam' }],
  ])('refuses any origin (*) with auth=%s, naming corsAllowOrigins', (_mode, auth) => {
    expect(() => buildApp({ ...auth, corsAllowOrigins: '*' })).toThrow(
      /^Invalid context "corsAllowOrigins": "\*" would let every website call the API/,
    );
  });

  it.each<[string, string, Context]>([
    ['https://*', 'jwt', JWT],
    ['http://*', 'iam', { auth: 'iam' }],
    ['https://*.example.com', 'iam', { auth: 'iam' }],
  ])(
    'refuses the wildcard origin %s with auth=%s (API Gateway reads it as many origins)',
    (origin, _mode, auth) => {
      expect(() => buildApp({ ...auth, corsAllowOrigins: origin })).toThrow(
        `Invalid context "corsAllowOrigins": "${origin}" has a wildcard`,
      );
    },
  );

  it.each([
    ['has a path', 'https://app.example.com/login'],
    ['is not http(s)', 'ftp://app.example.com'],
    ['has no scheme', 'app.example.com'],
  ])('refuses an origin that %s, naming corsAllowOrigins', (_case, origin) => {
    expect(() => buildApp({ corsAllowOrigins: origin })).toThrow(
      `Invalid context "corsAllowOrigins": "${origin}" is not an origin: http(s)://host[:port], no path`,
    );
  });

  it('suggests the form browsers send for an origin with a trailing slash or default port', () => {
    expect(() => buildApp({ corsAllowOrigins: 'https://App.example.com:443/' })).toThrow(
      'Invalid context "corsAllowOrigins": "https://App.example.com:443/" is not an origin as browsers send it; use "https://app.example.com"',
    );
  });
});

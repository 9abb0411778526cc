import { Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import type { IceBrokerAuth, JwtAuth } from '../../../lib/ice-broker-props';
import { createBroker, removeCloudAssemblies } from '../support/synth';

const JWT: JwtAuth = { mode: 'jwt', issuer: 'https://auth.example.com/', audience: ['ice-app'] };

function withAuth(auth: unknown, corsAllowOrigins?: string[]) {
  return () => createBroker({ createChannels: ['demo'], auth: auth as IceBrokerAuth, corsAllowOrigins });
}

describe('IceBroker auth props', () => {
  afterAll(removeCloudAssemblies);

  it('rejects a broker without auth, for callers in plain JavaScript', () => {
    expect(withAuth(undefined)).toThrow('Invalid IceBroker prop "auth": missing; give { mode: "jwt"');
  });

  it('rejects an unknown auth mode', () => {
    expect(withAuth({ mode: 'cognito' })).toThrow('Invalid IceBroker prop "auth": unknown mode "cognito"');
  });

  it('rejects auth mode none without allowUnauthenticated: true', () => {
    expect(withAuth({ mode: 'none', allowUnauthenticated: 'yes' })).toThrow(
      'Invalid IceBroker prop "auth.allowUnauthenticated": must be true',
    );
  });

  it('rejects a JWT issuer that is not an https URL', () => {
    expect(withAuth({ ...JWT, issuer: 'auth.example.com' })).toThrow('Invalid IceBroker prop "auth.issuer"');
  });

  it("rejects a JWT issuer with surrounding whitespace or an empty query: API Gateway compares it exactly with the tokens' iss", () => {
    expect(withAuth({ ...JWT, issuer: ' https://auth.example.com/' })).toThrow(
      'Invalid IceBroker prop "auth.issuer": " https://auth.example.com/" has surrounding whitespace: ' +
        "API Gateway compares the issuer exactly with the tokens' iss claim",
    );
    expect(withAuth({ ...JWT, issuer: 'https://auth.example.com/?' })).toThrow(
      'Invalid IceBroker prop "auth.issuer": "https://auth.example.com/?" must not have a query or fragment',
    );
    expect(withAuth({ ...JWT, issuer: 'https://auth.example.com/#' })).toThrow(
      'Invalid IceBroker prop "auth.issuer": "https://auth.example.com/#" must not have a query or fragment',
    );
  });

  it('accepts a JWT issuer that resolves only at deploy time, such as a user pool URL', () => {
    const broker = createBroker({
      createChannels: ['demo'],
      auth: { ...JWT, issuer: Fn.importValue('Issuer') },
    });

    Template.fromStack(Stack.of(broker)).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: { 'Fn::ImportValue': 'Issuer' }, Audience: ['ice-app'] },
    });
  });

  it('rejects JWT auth without an audience', () => {
    expect(withAuth({ ...JWT, audience: [] })).toThrow(
      'Invalid IceBroker prop "auth.audience": at least one audience is required',
    );
  });

  it("rejects an audience with surrounding whitespace: API Gateway compares it exactly with the tokens' aud", () => {
    expect(withAuth({ ...JWT, audience: ['ice-app', 'web-app '] })).toThrow(
      'Invalid IceBroker prop "auth.audience": "web-app " has surrounding whitespace: ' +
        "API Gateway compares audiences exactly with the tokens' aud claim",
    );
  });

  it('rejects a scope that is not an OAuth scope, naming its index', () => {
    expect(withAuth({ ...JWT, scopes: ['read', 'write all'] })).toThrow(
      'Invalid IceBroker prop "auth.scopes[1]"',
    );
  });

  it('rejects a channels claim name with spaces', () => {
    expect(withAuth({ ...JWT, channelsClaim: 'my channels' })).toThrow(
      'Invalid IceBroker prop "auth.channelsClaim"',
    );
  });

  it('rejects a channels claim outside auth mode jwt, for callers in plain JavaScript: no claim would restrict channels', () => {
    expect(withAuth({ mode: 'iam', channelsClaim: 'channels' })).toThrow(
      'Invalid IceBroker prop "auth.channelsClaim": only applies with auth mode jwt (it is iam): ' +
        'nothing would check it, and every caller could use every served channel',
    );
  });

  it('rejects any origin (*) for an API whose callers authenticate', () => {
    expect(withAuth({ mode: 'iam' }, ['*'])).toThrow('Invalid IceBroker prop "corsAllowOrigins"');
  });

  it('rejects * next to other origins', () => {
    expect(withAuth({ mode: 'none', allowUnauthenticated: true }, ['*', 'https://app.example.com'])).toThrow(
      'Invalid IceBroker prop "corsAllowOrigins": "*" must be the only origin',
    );
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

const ISSUER = 'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_EXAMPLE';

describe('auth=jwt', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({
      auth: 'jwt',
      jwtIssuer: ISSUER,
      jwtAudience: 'web-client, mobile-client',
      jwtScopes: 'ice/servers,admin',
      channelsClaim: 'custom:channels',
    });
  });

  it('checks bearer tokens from the Authorization header against the issuer and audiences', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: ['web-client', 'mobile-client'] },
    });
  });

  it('puts the JWT authorizer in front of the ice-servers route, requiring one of the scopes', () => {
    const [authorizerId] = Object.keys(s.template.findResources('AWS::ApiGatewayV2::Authorizer'));

    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/ice-servers',
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId },
      AuthorizationScopes: ['ice/servers', 'admin'],
    });
  });

  it('tells the function which claim lists the channels a caller may use', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHANNELS_CLAIM: 'custom:channels' }) },
    });
  });

  it('outputs no IAM policy statement, since IAM does not authorize the callers', () => {
    expect(Object.keys(s.template.findOutputs('ClientPolicyStatement'))).toEqual([]);
  });

  it('exposes the authorizer, so further routes can use it', () => {
    const [authorizerId] = Object.keys(s.template.findResources('AWS::ApiGatewayV2::Authorizer'));

    const authorizer = s.stack.broker.authorizer;

    expect(authorizer).toBeInstanceOf(HttpJwtAuthorizer);
    expect(authorizer instanceof HttpJwtAuthorizer && s.stack.resolve(authorizer.authorizerId)).toEqual({
      Ref: authorizerId,
    });
  });

  it('requires no scope when jwtScopes is not set', () => {
    const unscoped = synthesize({ auth: 'jwt', jwtIssuer: ISSUER, jwtAudience: 'web-client' });

    unscoped.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      AuthorizationType: 'JWT',
      AuthorizationScopes: Match.absent(),
    });
  });
});

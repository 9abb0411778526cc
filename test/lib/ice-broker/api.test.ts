import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

describe('HTTP API', () => {
  let s: Synthesized;
  let apiId: string;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ throttleRate: '7', throttleBurst: 9, logRetentionDays: '90' });
    apiId = logicalId(s, s.stack.broker.api);
  });

  it('routes POST /v1/channels/{channel}/ice-servers to the function as a payload 2.0 proxy', () => {
    const functionId = logicalId(s, s.stack.broker.function);

    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/ice-servers',
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
    });
  });

  it('serves no route other than the ice-servers route', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
  });

  it('throttles the default stage with the configured rate and burst', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
  });

  it('writes access logs to their own log group with the configured retention', () => {
    const accessLogsId = logicalId(s, s.stack.broker.logGroups.access);

    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [accessLogsId, 'Arn'] } },
    });
    expect(s.template.toJSON().Resources[accessLogsId].Properties).toEqual({ RetentionInDays: 90 });
  });

  it('throttles at 50 requests per second, bursts of 100, and keeps logs 30 days when the context sets nothing', () => {
    const byDefault = synthesize();
    const logGroups = Object.values(byDefault.template.findResources('AWS::Logs::LogGroup'));

    byDefault.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    expect(logGroups.map((group) => group.Properties.RetentionInDays)).toEqual([30, 30]);
  });

  it('writes each access log entry as a JSON object with no request header in it', () => {
    const [stage] = Object.values(s.template.findResources('AWS::ApiGatewayV2::Stage'));
    const format: string = stage?.Properties.AccessLogSettings.Format;

    const fields = JSON.parse(format);

    expect(fields).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(format).not.toMatch(/header|authorizer|authorization|token/i);
  });

  it('outputs the base URL, the ice-servers URL and the scoped role ARN', () => {
    const scopedRoleId = logicalId(s, s.stack.broker.scopedRole);
    const endpoint = { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] };

    s.template.hasOutput('ApiUrl', { Value: endpoint });
    s.template.hasOutput('IceServersUrl', {
      Value: { 'Fn::Join': ['', [endpoint, '/v1/channels/{channel}/ice-servers']] },
    });
    s.template.hasOutput('ScopedRoleArn', { Value: { 'Fn::GetAtt': [scopedRoleId, 'Arn'] } });
  });

  it('lets API Gateway invoke the function only through the ice-servers route', () => {
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith(['/*/*/v1/channels/{channel}/ice-servers'])] },
    });
    s.template.resourceCountIs('AWS::Lambda::Permission', 1);
  });
});

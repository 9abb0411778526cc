import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBroker,
  logicalId,
  removeCloudAssemblies,
  type Synthesized,
  synthesize,
} from '../support/synth';
import { parseJoinedJson } from '../support/tokens';

const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

/** The execute-api ARN of one channel's route, as {@link parseJoinedJson} renders its references. */
function invokeArn(apiId: string, channel: string): string {
  return (
    "arn:<{'Ref':'AWS::Partition'}>:execute-api:<{'Ref':'AWS::Region'}>:<{'Ref':'AWS::AccountId'}>:" +
    `<{'Ref':'${apiId}'}>/$default/POST/v1/channels/${channel}/ice-servers`
  );
}

describe('auth=iam', () => {
  let s: Synthesized;
  let apiId: string;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ auth: 'iam', channels: LOBBY_ARN, createChannels: 'demo,backyard' });
    apiId = logicalId(s, s.stack.broker.api);
  });

  it('lets only SigV4-signed requests with execute-api:Invoke permission reach the route', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/ice-servers',
      AuthorizationType: 'AWS_IAM',
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('outputs the policy statement a client role needs: execute-api:Invoke on each channel route', () => {
    const [output] = Object.values(s.template.findOutputs('ClientPolicyStatement'));

    const statement = parseJoinedJson(output?.Value);

    expect(statement).toEqual({
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: [invokeArn(apiId, 'lobby'), invokeArn(apiId, 'demo'), invokeArn(apiId, 'backyard')],
    });
  });

  it('lets the construct grant a principal execute-api:Invoke on chosen channels only', () => {
    const broker = createBroker({ createChannels: ['demo', 'backyard'] });
    const role = new Role(broker, 'ClientRole', { assumedBy: new AccountRootPrincipal() });
    const stack = Stack.of(broker);

    broker.grantInvoke(role, ['backyard']);

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: stack.resolve(broker.invokeArns.backyard),
          },
        ],
      },
    });
  });

  it('refuses to grant invoke permission when IAM does not authorize the callers', () => {
    const broker = createBroker({
      createChannels: ['demo'],
      auth: { mode: 'jwt', issuer: 'https://auth.example.com/', audience: ['ice-app'] },
    });
    const role = new Role(broker, 'ClientRole', { assumedBy: new AccountRootPrincipal() });

    expect(() => broker.grantInvoke(role)).toThrow(
      'Invalid IceBroker prop "auth": grantInvoke needs mode "iam"',
    );
  });

  it('refuses to grant invoke permission on a channel the broker does not serve', () => {
    const broker = createBroker({ createChannels: ['demo'] });
    const role = new Role(broker, 'ClientRole', { assumedBy: new AccountRootPrincipal() });

    expect(() => broker.grantInvoke(role, ['backyard'])).toThrow(
      '"backyard" is not a channel this broker serves',
    );
  });
});

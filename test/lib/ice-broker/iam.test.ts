import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVS_ACTIONS } from '../../../lambda/contract';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

type Statement = Record<string, unknown>;

function getAtt(id: string): Record<string, unknown> {
  return { 'Fn::GetAtt': [id, 'Arn'] };
}

function policyStatements(s: Synthesized): Statement[] {
  const roleId = logicalId(s, s.stack.broker.executionRole);
  const policies = s.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('IAM', () => {
  let s: Synthesized;
  let executionRoleId: string;
  let scopedRoleId: string;
  let demoChannelId: string;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ channels: LOBBY_ARN, createChannels: 'demo' });
    executionRoleId = logicalId(s, s.stack.broker.executionRole);
    scopedRoleId = logicalId(s, s.stack.broker.scopedRole);
    const [demo] = s.stack.broker.createdChannels;
    if (!demo) throw new Error('demo channel missing');
    demoChannelId = s.stack.getLogicalId(demo);
  });

  it('creates exactly two IAM roles', () => {
    s.template.resourceCountIs('AWS::IAM::Role', 2);
  });

  it('lets the scoped role call only the two KVS APIs, on exactly the configured channels', () => {
    const role = s.template.toJSON().Resources[scopedRoleId];

    const [statement, ...others]: Statement[] = role.Properties.Policies.flatMap(
      (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
    );

    expect(others).toEqual([]);
    expect(statement).toEqual({ Effect: 'Allow', Action: expect.any(Array), Resource: expect.any(Array) });
    expect([...((statement?.Action as string[] | undefined) ?? [])].sort()).toEqual([...KVS_ACTIONS].sort());
    expect(statement?.Resource).toHaveLength(2);
    expect(statement?.Resource).toEqual(expect.arrayContaining([LOBBY_ARN, getAtt(demoChannelId)]));
  });

  it('lets only the execution role assume the scoped role, for sessions of at most one hour', () => {
    s.template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectEquals({
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: getAtt(executionRoleId) },
          }),
        ],
      },
    });
  });

  it('lets only the Lambda service assume the execution role, with no inline or managed policy', () => {
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectEquals({
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
          }),
        ],
      },
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('gives the execution role no kinesisvideo permission at all', () => {
    const statements = policyStatements(s);

    expect(JSON.stringify(statements)).not.toContain('kinesisvideo');
  });

  it('lets the execution role only assume the scoped role, write to its own log group, read the blocked-callers parameter and use the shared table', () => {
    const functionLogsId = logicalId(s, s.stack.broker.logGroups.function);
    const parameterId = logicalId(s, s.stack.broker.blockedCallersParameter);
    const tableId = logicalId(s, s.stack.broker.sharedTable);

    const statements = policyStatements(s);

    expect(statements).toHaveLength(4);
    expect(statements).toEqual(
      expect.arrayContaining([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Resource: getAtt(scopedRoleId) },
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(tableId) },
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: getAtt(functionLogsId),
        },
        {
          Action: 'ssm:GetParameter',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ssm:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':parameter',
                { Ref: parameterId },
              ],
            ],
          },
        },
      ]),
    );
  });

  it('attaches no AWS managed policy to any role', () => {
    const roles = Object.values(s.template.findResources('AWS::IAM::Role'));

    expect(roles.map((role) => role.Properties.ManagedPolicyArns)).toEqual([undefined, undefined]);
  });
});

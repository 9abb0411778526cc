import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionRoleStatements, scopedRoleStatements } from '../../lib/iam-policies';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from './support/synth';

// The local emulator enforces the statements of lib/iam-policies.ts; the stack must write exactly
// those, or a grant left out would pass locally and fail on AWS.

const LOBBY_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1716796800123';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/**
 * What statements allow, as sorted `Effect action resource` grants: CDK writes one-element lists
 * as their element and merges statements of the same resources (`minimizePolicies`).
 */
const grants = (statements: Statement[]): string[] =>
  statements
    .flatMap((statement) =>
      [statement.Action]
        .flat()
        .flatMap((action) =>
          [statement.Resource]
            .flat()
            .map((resource) => `${statement.Effect} ${action} ${JSON.stringify(resource)}`),
        ),
    )
    .sort();

describe('the IAM statements the stack writes are those the emulator enforces', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);
  beforeAll(() => {
    s = synthesize({ channels: LOBBY_ARN, createChannels: 'demo', signalingRoles: 'viewer,master' });
  });

  it("writes the scoped role's policy as scopedRoleStatements", () => {
    const { broker } = s.stack;
    const role = s.template.toJSON().Resources[logicalId(s, broker.scopedRole)];
    const written: Statement[] = role.Properties.Policies.flatMap(
      (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
    );

    const expected: Statement[] = s.stack.resolve(
      scopedRoleStatements(Object.values(broker.channelArns), ['VIEWER', 'MASTER']),
    );

    expect(grants(written)).toEqual(grants(expected));
  });

  it("writes the execution role's STS and SSM statements as executionRoleStatements", () => {
    const { broker } = s.stack;
    const roleId = logicalId(s, broker.executionRole);
    const policies = s.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    const written: Statement[] = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );

    const expected: Statement[] = s.stack.resolve(
      executionRoleStatements({
        scopedRoleArn: broker.scopedRole.roleArn,
        blockedCallersParameterArn: broker.blockedCallersParameter.parameterArn,
      }),
    );

    const stsAndSsm = grants(written).filter((grant) => /^Allow (sts|ssm):/.test(grant));
    expect(stsAndSsm).toEqual(grants(expected));
  });
});

describe('the storage-session actions of the scoped role (storageSessions)', () => {
  const arns = ['arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000'];
  const storageActions = (statements: ReturnType<typeof scopedRoleStatements>) =>
    statements.flatMap((s) => s.Action).filter((a) => /Storage/.test(a));

  it('grants JoinStorageSession, JoinStorageSessionAsViewer and DescribeMediaStorageConfiguration on the channels only, with both roles', () => {
    const statements = scopedRoleStatements(arns, ['VIEWER', 'MASTER'], true);
    expect(storageActions(statements)).toEqual([
      'kinesisvideo:DescribeMediaStorageConfiguration',
      'kinesisvideo:JoinStorageSessionAsViewer',
      'kinesisvideo:JoinStorageSession',
    ]);
    for (const statement of statements) expect(statement.Resource).toEqual(arns);
  });

  it('grants only the viewer join when only the viewer role is served', () => {
    expect(storageActions(scopedRoleStatements(arns, ['VIEWER'], true))).toEqual([
      'kinesisvideo:DescribeMediaStorageConfiguration',
      'kinesisvideo:JoinStorageSessionAsViewer',
    ]);
  });

  it('grants none of them without storageSessions', () => {
    expect(storageActions(scopedRoleStatements(arns, ['VIEWER', 'MASTER']))).toEqual([]);
    expect(storageActions(scopedRoleStatements(arns, ['VIEWER', 'MASTER'], false))).toEqual([]);
  });
});

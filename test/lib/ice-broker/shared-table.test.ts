import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_TABLE } from '../../../lambda/contract';
import { ENV } from '../../../lambda/settings';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement of every IAM policy and role in the template that names a DynamoDB action. */
function dynamoDbStatements(s: Synthesized): { owner: string; statement: Statement }[] {
  const found: { owner: string; statement: Statement }[] = [];
  const resources = s.template.toJSON().Resources as Record<string, { Type: string; Properties?: any }>;
  for (const [id, resource] of Object.entries(resources)) {
    const documents =
      resource.Type === 'AWS::IAM::Policy'
        ? [resource.Properties.PolicyDocument]
        : resource.Type === 'AWS::IAM::Role'
          ? (resource.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
          : [];
    for (const document of documents) {
      for (const statement of document.Statement as Statement[]) {
        const actions = [statement.Action].flat();
        if (actions.some((action) => action.startsWith('dynamodb:'))) found.push({ owner: id, statement });
      }
    }
  }
  return found;
}

const environment = (s: Synthesized) =>
  s.template.toJSON().Resources[logicalId(s, s.stack.broker.function)].Properties.Environment.Variables;

describe('the shared table', () => {
  let s: Synthesized;
  let tableId: string;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize();
    tableId = logicalId(s, s.stack.broker.sharedTable);
  });

  it('is one on-demand DynamoDB table keyed by pk, with a TTL attribute, KMS encryption and point-in-time recovery', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: SHARED_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: SHARED_TABLE.partitionKey, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: SHARED_TABLE.timeToLiveAttribute, Enabled: true },
      // SSE enabled without a key of its own: the AWS managed KMS key (aws/dynamodb).
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: true }),
    });
  });

  it('lets only the execution role use it, with exactly UpdateItem and GetItem on that table', () => {
    const statements = dynamoDbStatements(s);
    const executionRoleId = logicalId(s, s.stack.broker.executionRole);
    const owners = statements.map(({ owner }) => s.template.toJSON().Resources[owner].Properties.Roles);

    expect(statements).toHaveLength(1);
    expect(owners).toEqual([[{ Ref: executionRoleId }]]);
    expect([statements[0]?.statement.Action].flat().sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect([statements[0]?.statement.Resource].flat()).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });

  it("gives the function the table's name and no limit it was not told", () => {
    const variables = environment(s);

    expect(variables[ENV.sharedTable]).toEqual({ Ref: tableId });
    expect(variables).not.toHaveProperty(ENV.sharedCache);
    expect(variables).not.toHaveProperty(ENV.accountIceCallsPerSecond);
    expect(variables).not.toHaveProperty(ENV.callerIssuancesPerMinute);
  });

  it('passes -c accountIceCallsPerSecond, -c callerIssuancesPerMinute and -c sharedCache=true to the function', () => {
    const tuned = synthesize({
      accountIceCallsPerSecond: '250',
      callerIssuancesPerMinute: '10',
      sharedCache: 'true',
    });

    expect(environment(tuned)).toMatchObject({
      [ENV.accountIceCallsPerSecond]: '250',
      [ENV.callerIssuancesPerMinute]: '10',
      [ENV.sharedCache]: 'true',
    });
  });

  it.each([
    ['accountIceCallsPerSecond', '0'],
    ['accountIceCallsPerSecond', '12.5'],
    ['callerIssuancesPerMinute', '1001'],
  ])('refuses -c %s=%s, naming the key and its range', (key, value) => {
    expect(() => synthesize({ [key]: value })).toThrow(
      new RegExp(`Invalid context "${key}": .*whole number from`),
    );
  });

  it('passes -c sharedTableTimeoutMs to the function, and refuses one out of its range', () => {
    const tuned = synthesize({ sharedTableTimeoutMs: '400' });

    expect(environment(tuned)).toMatchObject({ [ENV.sharedTableTimeoutMs]: '400' });
    expect(() => synthesize({ sharedTableTimeoutMs: '10' })).toThrow(
      'Invalid context "sharedTableTimeoutMs": 10 must be a whole number from 20 to 5000',
    );
  });

  it('refuses -c sharedCache=maybe', () => {
    expect(() => synthesize({ sharedCache: 'maybe' })).toThrow(/Invalid context "sharedCache"/);
  });

  it('leaves cdk-nag nothing to report about it', () => {
    const report = new AwsSolutionsChecks().validateScope(s.app);

    expect(report.violations.filter((v) => v.ruleName.includes('DDB'))).toEqual([]);
  });
});

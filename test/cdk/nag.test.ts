import { Validations } from 'aws-cdk-lib';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp, removeCloudAssemblies } from './support/synth';

/** Every acknowledgement recorded with `Validations.of(construct).acknowledge`, by construct path. */
function acknowledgements(root: IConstruct): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      found[construct.node.path] = [...(found[construct.node.path] ?? []), ...Object.keys(entry.data)];
    }
  }
  return found;
}

/** A role that breaks AwsSolutions-IAM4 (AWS managed policy) and has no acknowledgement. */
function addRoleWithManagedPolicy(scope: Construct): void {
  new Role(scope, 'Offender', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
}

describe('cdk-nag AwsSolutions', () => {
  let built: BuiltApp;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    built = buildApp({ channels: 'lobby/1716796800123', createChannels: 'demo' });
  });

  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);

    expect(report.violations).toEqual([]);
  });

  it('acknowledges only the unauthenticated route, on the route itself', () => {
    const acknowledged = acknowledgements(built.app);

    expect(acknowledged).toEqual({
      [built.stack.broker.route.node.path]: ['Annotation::AwsSolutions-APIG4'],
    });
  });

  it('reports a finding nobody acknowledged, so a clean report means something', () => {
    const app = buildApp();
    addRoleWithManagedPolicy(app.stack);

    const report = new AwsSolutionsChecks().validateScope(app.app);

    expect(report.violations.map((violation) => violation.ruleName)).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ]);
  });

  it('runs during synthesis and fails it on an unacknowledged finding', () => {
    const app = buildApp();
    addRoleWithManagedPolicy(app.stack);

    expect(() => app.app.synth()).toThrow(/AwsSolutions-IAM4/);
  });
});

import { Validations } from 'aws-cdk-lib';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_AUTH_REASON } from '../../lib/route-auth';
import { type BuiltApp, buildApp, type Context, removeCloudAssemblies } from './support/synth';

/** Every acknowledgement recorded with `Validations.of(construct).acknowledge`: rule to reason, by construct path. */
function acknowledgements(root: IConstruct): Record<string, Record<string, unknown>> {
  const found: Record<string, Record<string, unknown>> = {};
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      found[construct.node.path] = { ...found[construct.node.path], ...entry.data };
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

const CHANNELS: Context = { channels: 'lobby/1716796800123', createChannels: 'demo' };

const MODES: Record<string, Context> = {
  jwt: {
    auth: 'jwt',
    jwtIssuer: 'https://auth.example.com/',
    jwtAudience: 'ice-app',
    jwtScopes: 'ice/servers',
    channelsClaim: 'channels',
    corsAllowOrigins: 'https://app.example.com',
  },
  iam: { auth: 'iam', corsAllowOrigins: 'https://app.example.com' },
  none: { auth: 'none', allowUnauthenticated: 'true', corsAllowOrigins: '*' },
};

describe('cdk-nag AwsSolutions', () => {
  const built: Record<string, BuiltApp> = {};

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    for (const [mode, context] of Object.entries(MODES)) built[mode] = buildApp({ ...CHANNELS, ...context });
  });

  it.each(Object.keys(MODES))('reports no unacknowledged finding with auth=%s', (mode) => {
    const app = built[mode]?.app;

    const report = app ? new AwsSolutionsChecks().validateScope(app) : undefined;

    expect(report?.violations).toEqual([]);
  });

  it.each(['jwt', 'iam'])('acknowledges no finding when callers authenticate with auth=%s', (mode) => {
    const app = built[mode]?.app;

    const acknowledged = app ? acknowledgements(app) : undefined;

    expect(acknowledged).toEqual({});
  });

  it("acknowledges only the unauthenticated route with auth=none, with the operator's reason", () => {
    const none = built.none;

    const acknowledged = none ? acknowledgements(none.app) : undefined;

    expect(acknowledged).toEqual({
      [none?.stack.broker.route.node.path ?? 'missing']: { 'Annotation::AwsSolutions-APIG4': NO_AUTH_REASON },
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

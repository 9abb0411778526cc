import { Match } from 'aws-cdk-lib/assertions';
import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

function nodeMajor(runtime: string): number {
  return Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? Number.NaN);
}

function newestNodeRuntime(): string {
  const majors = Runtime.ALL.filter((runtime) => runtime.family === RuntimeFamily.NODEJS)
    .map((runtime) => nodeMajor(runtime.name))
    .filter((major) => !Number.isNaN(major));
  return `nodejs${Math.max(...majors)}.x`;
}

describe('Lambda function', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ minRemainingTtl: '90' });
  });

  it('runs on the newest Node.js runtime aws-cdk-lib offers, at least Node.js 22', () => {
    const [fn] = Object.values(s.template.findResources('AWS::Lambda::Function'));

    const runtime: string = fn?.Properties.Runtime;

    expect(runtime).toBe(newestNodeRuntime());
    expect(nodeMajor(runtime)).toBeGreaterThanOrEqual(22);
  });

  it('runs on arm64 with 512 MB of memory and a 10 s timeout', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 10,
    });
  });

  it('tells the function its scoped role, channels, auth mode, shared table, minimum TTL and logging settings', () => {
    const scopedRoleId = logicalId(s, s.stack.broker.scopedRole);

    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectEquals({
          SCOPED_ROLE_ARN: { 'Fn::GetAtt': [scopedRoleId, 'Arn'] },
          CHANNELS: Match.anyValue(),
          AUTH_MODE: Match.stringLikeRegexp('^(jwt|iam|none)$'),
          BLOCKED_CALLERS_PARAMETER: { Ref: logicalId(s, s.stack.broker.blockedCallersParameter) },
          SHARED_TABLE: { Ref: logicalId(s, s.stack.broker.sharedTable) },
          MIN_REMAINING_TTL_SECONDS: '90',
          POWERTOOLS_SERVICE_NAME: 'kvs-ice-broker',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('leaves the minimum TTL to the function when minRemainingTtl is not given', () => {
    const byDefault = synthesize();

    const [fn] = Object.values(byDefault.template.findResources('AWS::Lambda::Function'));

    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('MIN_REMAINING_TTL_SECONDS');
  });

  it('logs to its own log group, kept for the configured retention', () => {
    const logGroupId = logicalId(s, s.stack.broker.logGroups.function);

    s.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    expect(s.template.toJSON().Resources[logGroupId]).toMatchObject({
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });
});

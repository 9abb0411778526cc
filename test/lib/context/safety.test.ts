import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type Context, removeCloudAssemblies, synthesize } from '../support/synth';

// Deploy-time safety: `cdk synth` refuses, or warns about, risky settings, naming the key to change.
describe('deploy-time safety', () => {
  afterAll(removeCloudAssemblies);

  it.each<[string, Context, RegExp]>([
    [
      'no authentication without the acknowledgement',
      { auth: 'none' },
      /^Invalid context "allowUnauthenticated": auth=none lets anyone on the internet/,
    ],
    [
      'a CORS wildcard on an API whose callers send credentials',
      { auth: 'iam', corsAllowOrigins: '*' },
      /^Invalid context "corsAllowOrigins": "\*" would let every website call the API/,
    ],
    ['throttling turned off (a rate of 0)', { throttleRate: '0' }, /^Invalid context "throttleRate": /],
    ['throttling turned off (a burst of 0)', { throttleBurst: '0' }, /^Invalid context "throttleBurst": /],
    [
      'unlimited log retention',
      { logRetentionDays: '9999' },
      /^Invalid context "logRetentionDays": unlimited retention keeps every log line/,
    ],
    [
      'a reserved concurrency of 0, which stops the function',
      { reservedConcurrency: '0' },
      /^Invalid context "reservedConcurrency": 0 reserves no concurrency/,
    ],
    [
      'the master signaling role with auth=none',
      { auth: 'none', allowUnauthenticated: 'true', signalingRoles: 'viewer,master' },
      /^Invalid context "signalingRoles": .*anyone on the internet connect as a channel's master/,
    ],
  ])('refuses %s, naming the key', (_, context, message) => {
    expect(() => buildApp(context)).toThrow(message);
  });

  it('warns when the stage burst is above the concurrency the function may reach, naming both keys', () => {
    const s = synthesize({ reservedConcurrency: '10', throttleBurst: '100' });

    Annotations.fromStack(s.stack).hasWarning(
      `/${s.stack.broker.node.path}`,
      Match.stringLikeRegexp(
        '"throttleBurst" / "reservedConcurrency": the stage lets bursts of 100 requests',
      ),
    );
    s.template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
  });

  it('warns about a burst above the default account concurrency when none is reserved', () => {
    const s = synthesize({ throttleBurst: '5000' });

    Annotations.fromStack(s.stack).hasWarning(
      `/${s.stack.broker.node.path}`,
      Match.stringLikeRegexp(
        '"throttleBurst": a burst of 5000 is above the default regional Lambda concurrency',
      ),
    );
  });

  it('prints no risk warning for the defaults', () => {
    const s = synthesize();

    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('throttleBurst'));
  });
});
